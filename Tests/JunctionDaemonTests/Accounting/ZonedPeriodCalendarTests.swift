import Foundation
import JunctionCore
import Testing

@testable import JunctionDaemon

@Suite("Zoned budget periods")
struct ZonedPeriodCalendarTests {
    private func ms(_ text: String) -> Int64 { Int64((RFC3339.parse(text)! * 1000).rounded()) }

    private func newYork() throws -> ZonedPeriodCalendar {
        try #require(ZonedPeriodCalendar(identifier: "America/New_York"), "tzdata for America/New_York is missing")
    }

    @Test func anUnknownZoneHasNoCalendar() {
        #expect(ZonedPeriodCalendar(identifier: "Mars/Olympus_Mons") == nil)
        #expect(ZonedPeriodCalendar(identifier: "Europe/Berlin")?.identifier == "Europe/Berlin")
    }

    @Test func utcAgreesWithTheFixedOffsetCalendar() throws {
        let zoned = try #require(ZonedPeriodCalendar(identifier: "UTC"))
        var time = self.ms("2026-01-01T00:00:00Z")
        while time < self.ms("2027-01-01T00:00:00Z") {
            #expect(zoned.day(containing: time) == FixedOffsetCalendar.utc.day(containing: time))
            #expect(zoned.month(containing: time) == FixedOffsetCalendar.utc.month(containing: time))
            time += 7 * 3_600_000 + 1_234
        }
    }

    @Test func ordinaryDaysStartAtLocalMidnight() throws {
        let calendar = try self.newYork()
        #expect(calendar.day(containing: self.ms("2026-12-02T04:59:59.999Z"))
            == PeriodBounds(start: self.ms("2026-12-01T00:00:00-05:00"), end: self.ms("2026-12-02T00:00:00-05:00")))
        #expect(calendar.day(containing: self.ms("2026-12-02T05:00:00Z"))
            == PeriodBounds(start: self.ms("2026-12-02T00:00:00-05:00"), end: self.ms("2026-12-03T00:00:00-05:00")))
        let summer = calendar.day(containing: self.ms("2026-07-04T12:00:00-04:00"))
        #expect(summer.start == self.ms("2026-07-04T00:00:00-04:00"))
        #expect(calendar.utcOffsetSeconds(at: self.ms("2026-07-04T12:00:00Z")) == -4 * 3600)
        #expect(calendar.rfc3339(self.ms("2026-12-03T05:00:00Z")) == "2026-12-03T00:00:00-05:00")
    }

    @Test func theSpringForwardDayHas23HoursAndTheFallBackDay25() throws {
        let calendar = try self.newYork()
        let spring = calendar.day(containing: self.ms("2026-03-08T12:00:00-04:00"))
        #expect(spring.start == self.ms("2026-03-08T00:00:00-05:00"))
        #expect(spring.end == self.ms("2026-03-09T00:00:00-04:00"))
        #expect(spring.end - spring.start == 23 * 3_600_000)
        let fall = calendar.day(containing: self.ms("2026-11-01T01:30:00-05:00"))
        #expect(fall.start == self.ms("2026-11-01T00:00:00-04:00"))
        #expect(fall.end == self.ms("2026-11-02T00:00:00-05:00"))
        #expect(fall.end - fall.start == 25 * 3_600_000)
        // The hour that happens twice belongs to the one day.
        #expect(calendar.day(containing: self.ms("2026-11-01T01:30:00-04:00")) == fall)
    }

    @Test func monthsStartOnTheLocalFirst() throws {
        let calendar = try self.newYork()
        #expect(calendar.month(containing: self.ms("2027-01-01T04:59:59.999Z"))
            == PeriodBounds(start: self.ms("2026-12-01T00:00:00-05:00"), end: self.ms("2027-01-01T00:00:00-05:00")))
        // March changes offset within the month: it starts at −05:00 and ends at −04:00.
        #expect(calendar.month(containing: self.ms("2026-03-20T00:00:00Z"))
            == PeriodBounds(start: self.ms("2026-03-01T00:00:00-05:00"), end: self.ms("2026-04-01T00:00:00-04:00")))
    }

    /// A budget in America/New_York resets at New York midnight exactly: not at UTC midnight and not an offset
    /// late (the peers' bug), on an ordinary day, both DST change days and at the turn of the month.
    @Test func aBudgetResetsAtNewYorkMidnightExactly() throws {
        let calendar = try self.newYork()
        let caller = BudgetCaller(uid: 1000, gid: 100)
        let midnights = [
            "2026-12-02T00:00:00-05:00", "2026-03-09T00:00:00-04:00", "2026-11-02T00:00:00-05:00",
            "2027-01-01T00:00:00-05:00",
        ]
        for text in midnights {
            let midnight = self.ms(text)
            var book = BudgetBook(
                rules: [BudgetRule(name: "team-a", dailyUSD: 1_000_000, monthlyUSD: 100_000_000)], calendar: calendar
            )
            let previousDay = calendar.day(containing: midnight - 1)
            #expect(previousDay.end == midnight)
            let reservation = try #require(
                book.admit(caller, estimate: BudgetEstimate(microUSD: 1_000_000, tokens: 1), at: previousDay.start)
                    .reservation
            )
            _ = book.settle(reservation, actual: BudgetSpend(microUSD: 1_000_000, tokens: 1), at: previousDay.start)
            let lastMillisecond = book.admit(caller, estimate: BudgetEstimate(microUSD: 1, tokens: 1), at: midnight - 1)
            #expect(lastMillisecond.refusal?.resetsAt == midnight)
            #expect(lastMillisecond.refusal?.message.contains("resets at \(text)") == true)
            let afterMidnight = book.admit(caller, estimate: BudgetEstimate(microUSD: 1, tokens: 1), at: midnight)
            #expect(afterMidnight.reservation != nil)
        }
    }

    @Test func theConfiguredZoneBecomesTheCalendar() {
        #expect(AccountingConfig().periodCalendar.identifier == "UTC")
        #expect(AccountingConfig(timezone: "America/New_York").periodCalendar.identifier == "America/New_York")
    }
}
