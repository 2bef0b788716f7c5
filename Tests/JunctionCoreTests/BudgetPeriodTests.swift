import Testing

@testable import JunctionCore

@Suite("Budget periods")
struct BudgetPeriodTests {
    private func spend(
        _ book: inout BudgetBook,
        _ dollars: Double,
        at time: Int64,
        caller: BudgetCaller = alice
    ) throws -> [BudgetAlert] {
        let reservation = try #require(
            book.admit(caller, estimate: estimate(usd(dollars), tokens: 100), at: time).reservation
        )
        return book.settle(reservation, actual: actual(usd(dollars), tokens: 100), at: time)
    }

    @Test func utcDaysAndMonths() {
        let calendar = FixedOffsetCalendar.utc
        #expect(calendar.identifier == "UTC")
        #expect(calendar.day(containing: ms("2026-12-02T12:34:56.789Z"))
            == PeriodBounds(start: ms("2026-12-02T00:00:00Z"), end: ms("2026-12-03T00:00:00Z")))
        // The boundary belongs to the new day.
        #expect(calendar.day(containing: ms("2026-12-03T00:00:00Z")).start == ms("2026-12-03T00:00:00Z"))
        #expect(calendar.day(containing: ms("2026-12-02T23:59:59.999Z")).end == ms("2026-12-03T00:00:00Z"))
        #expect(calendar.month(containing: ms("2026-12-31T23:59:59.999Z"))
            == PeriodBounds(start: ms("2026-12-01T00:00:00Z"), end: ms("2027-01-01T00:00:00Z")))
        #expect(calendar.month(containing: ms("2028-02-29T12:00:00Z"))
            == PeriodBounds(start: ms("2028-02-01T00:00:00Z"), end: ms("2028-03-01T00:00:00Z")))
        // Before 1970 too.
        #expect(calendar.day(containing: ms("1969-12-31T23:00:00Z")).start == ms("1969-12-31T00:00:00Z"))
    }

    @Test func fixedOffsetDaysStartAtLocalMidnight() {
        let india = FixedOffsetCalendar(offsetSeconds: 5 * 3600 + 1800)
        #expect(india.identifier == "UTC+05:30")
        #expect(india.day(containing: ms("2026-12-02T20:00:00Z"))
            == PeriodBounds(start: ms("2026-12-03T00:00:00+05:30"), end: ms("2026-12-04T00:00:00+05:30")))
        #expect(india.month(containing: ms("2026-11-30T18:30:00Z")).start == ms("2026-12-01T00:00:00+05:30"))
        let west = FixedOffsetCalendar(offsetSeconds: -5 * 3600)
        #expect(west.identifier == "UTC-05:00")
        #expect(west.day(containing: ms("2026-12-03T02:00:00Z")).start == ms("2026-12-02T00:00:00-05:00"))
        #expect(west.month(containing: ms("2027-01-01T03:00:00Z"))
            == PeriodBounds(start: ms("2026-12-01T00:00:00-05:00"), end: ms("2027-01-01T00:00:00-05:00")))
        #expect(west.rfc3339(ms("2027-01-01T05:00:00Z")) == "2027-01-01T00:00:00-05:00")
    }

    @Test func rfc3339FormattingRoundTrips() {
        #expect(RFC3339.format(unixMilliseconds: 0) == "1970-01-01T00:00:00Z")
        #expect(RFC3339.format(unixMilliseconds: ms("2026-12-03T00:00:00Z")) == "2026-12-03T00:00:00Z")
        #expect(RFC3339.format(unixMilliseconds: ms("2026-12-03T00:00:00.25Z")) == "2026-12-03T00:00:00.250Z")
        #expect(RFC3339.format(unixMilliseconds: -1) == "1969-12-31T23:59:59.999Z")
        #expect(
            RFC3339.format(unixMilliseconds: ms("2026-03-08T07:00:00Z"), utcOffsetSeconds: -5 * 3600)
                == "2026-03-08T02:00:00-05:00"
        )
        #expect(RFC3339.format(unixMilliseconds: ms("2026-12-02T18:30:00Z"), utcOffsetSeconds: 19_800)
            == "2026-12-03T00:00:00+05:30")
        // Every day of 400 years (a whole Gregorian cycle) comes back as itself.
        for days in stride(from: -50_000, through: 96_000, by: 1) {
            let date = CivilDate.date(daysSinceEpoch: days)
            guard CivilDate.daysSinceEpoch(year: date.year, month: date.month, day: date.day) == days else {
                Issue.record("day \(days) became \(date)")
                return
            }
        }
        let text = "2031-07-15T08:09:10.011+02:00"
        #expect(RFC3339.format(unixMilliseconds: ms(text), utcOffsetSeconds: 7200) == text)
    }

    @Test func aDayEndsExactlyAtLocalMidnightNotAnOffsetLater() throws {
        for offset in [0, 5 * 3600 + 1800, -8 * 3600] {
            let calendar = FixedOffsetCalendar(offsetSeconds: offset)
            var book = BudgetBook(rules: [BudgetRule(name: "team-a", dailyUSD: usd(1))], calendar: calendar)
            let midnight = calendar.day(containing: ms("2026-12-02T12:00:00Z")).end
            _ = try self.spend(&book, 1, at: midnight - 3_600_000)
            // The last millisecond of the day is still the old day: full.
            let full = try #require(
                book.admit(alice, estimate: estimate(1), at: midnight - 1).refusal
            )
            #expect(full.resetsAt == midnight)
            // At midnight exactly, a new day.
            #expect(book.admit(alice, estimate: estimate(usd(1)), at: midnight).reservation != nil)
            let day = book.status(for: alice, at: midnight).first?.day
            #expect(day == PeriodBounds(start: midnight, end: midnight + 86_400_000))
        }
    }

    @Test func reservationsCarryIntoTheNewDayAndChargeTheDayTheyWereAdmittedIn() throws {
        var book = BudgetBook(rules: [BudgetRule(name: "team-a", dailyUSD: usd(5), monthlyUSD: usd(100))])
        let lateEvening = ms("2026-12-02T23:59:30Z")
        let running = try #require(
            book.admit(alice, estimate: estimate(usd(4), tokens: 100), at: lateEvening).reservation
        )
        let midnight = ms("2026-12-03T00:00:00Z")
        // Still running after midnight: its worst case stays reserved in the new day.
        let status = try #require(book.status(for: alice, at: midnight).first)
        #expect(status.dayUsage == BudgetUsage())
        #expect(status.dailyUSD?.reserved == usd(4))
        #expect(book.admit(alice, estimate: estimate(usd(1.5)), at: midnight).refusal != nil)
        // Settled after midnight, it is charged to the day it started in (as the ledger dates it), and to the month.
        _ = book.settle(running, actual: actual(usd(3), tokens: 80), at: midnight + 10_000)
        let after = try #require(book.status(for: alice, at: midnight + 10_001).first)
        #expect(after.dayUsage.microUSD == 0)
        #expect(after.dayUsage.tokens == 0)
        #expect(after.monthUsage.microUSD == usd(3))
        #expect(after.reservedMicroUSD == 0)
        #expect(after.dailyUSD?.remaining == usd(5))
        #expect(after.monthlyUSD?.remaining == usd(97))
    }

    @Test func aMonthEndsOnTheFirstAtLocalMidnight() throws {
        let calendar = FixedOffsetCalendar(offsetSeconds: -5 * 3600)
        var book = BudgetBook(rules: [BudgetRule(name: "team-a", monthlyUSD: usd(10))], calendar: calendar)
        _ = try self.spend(&book, 10, at: ms("2026-12-31T23:00:00-05:00"))
        let refusal = try #require(
            book.admit(alice, estimate: estimate(1), at: ms("2027-01-01T04:59:59.999Z")).refusal
        )
        #expect(refusal.resetsAt == ms("2027-01-01T00:00:00-05:00"))
        #expect(refusal.message.contains("resets at 2027-01-01T00:00:00-05:00"))
        #expect(book.admit(alice, estimate: estimate(1), at: ms("2027-01-01T05:00:00Z")).reservation != nil)
        let january = try #require(book.status(for: alice, at: ms("2027-01-01T05:00:00Z")).first)
        #expect(
            january.month == PeriodBounds(start: ms("2027-01-01T00:00:00-05:00"), end: ms("2027-02-01T00:00:00-05:00"))
        )
        #expect(january.monthUsage.microUSD == 0)
    }
}

@Suite("Budget alerts and seeding")
struct BudgetAlertTests {
    private let noon = ms("2026-12-02T12:00:00Z")

    private func spend(_ book: inout BudgetBook, _ dollars: Double, at time: Int64) throws -> [BudgetAlert] {
        let reservation = try #require(
            book.admit(alice, estimate: estimate(usd(dollars), tokens: 100), at: time).reservation
        )
        return book.settle(reservation, actual: actual(usd(dollars), tokens: 100), at: time)
    }

    @Test func eachThresholdFiresOncePerPeriodAndAgainInTheNext() throws {
        var book = BudgetBook(rules: [BudgetRule(name: "team-a", dailyUSD: usd(10))])
        #expect(try self.spend(&book, 4.99, at: self.noon).isEmpty)
        let half = try self.spend(&book, 0.01, at: self.noon + 1)
        #expect(half == [
            BudgetAlert(budget: "team-a", period: .day, threshold: 0.5, spent: usd(5), limit: usd(10),
                        resetsAt: ms("2026-12-03T00:00:00Z"))
        ])
        #expect(try self.spend(&book, 1, at: self.noon + 2).isEmpty)
        // One settlement past two thresholds fires both, in order.
        let both = try self.spend(&book, 4, at: self.noon + 3)
        #expect(both.map(\.threshold) == [0.8, 1.0])
        #expect(both.map(\.spent) == [usd(10), usd(10)])
        // The next day, each fires again.
        let tomorrow = ms("2026-12-03T08:00:00Z")
        #expect(try self.spend(&book, 6, at: tomorrow).map(\.threshold) == [0.5])
        #expect(try self.spend(&book, 0.5, at: tomorrow + 1).isEmpty)
    }

    @Test func monthlyThresholdsFireOncePerMonth() throws {
        var book = BudgetBook(rules: [BudgetRule(name: "team-a", monthlyUSD: usd(10), alertAt: [0.5])])
        #expect(try self.spend(&book, 5, at: ms("2026-12-01T10:00:00Z")).map(\.period) == [.month])
        #expect(try self.spend(&book, 1, at: ms("2026-12-02T10:00:00Z")).isEmpty)
        let january = try self.spend(&book, 5, at: ms("2027-01-01T00:00:00Z"))
        #expect(january.map(\.resetsAt) == [ms("2027-02-01T00:00:00Z")])
    }

    @Test func noAlertsWithoutThresholds() throws {
        var book = BudgetBook(rules: [BudgetRule(name: "quiet", dailyUSD: usd(1), alertAt: [])])
        #expect(try self.spend(&book, 1, at: self.noon).isEmpty)
    }

    @Test func aRestartSeededFromTheLedgerKeepsSpendAndDoesNotRepeatAlerts() throws {
        let rules = [BudgetRule(name: "team-a", match: .uid(1000), dailyUSD: usd(10), monthlyUSD: usd(100))]
        var before = BudgetBook(rules: rules)
        var fired: [BudgetAlert] = []
        for step in 0..<6 { fired += try self.spend(&before, 1, at: self.noon + Int64(step)) }
        #expect(fired.map(\.threshold) == [0.5])

        // The daemon restarts: a new book, seeded with what the ledger has for the day and the month.
        var after = BudgetBook(rules: rules)
        #expect(after.unseededBudgets == ["team-a"])
        let day = BudgetUsage(microUSD: usd(6), tokens: 600, requests: 6)
        let month = BudgetUsage(microUSD: usd(56), tokens: 5_600, requests: 56)
        let seeded = after.seed(budget: "team-a", day: day, month: month, at: self.noon + 10)
        let unknown = after.seed(budget: "gone", day: day, month: month, at: self.noon + 10)
        #expect(seeded)
        #expect(!unknown)
        #expect(after.unseededBudgets.isEmpty)
        let status = try #require(after.status(for: alice, at: self.noon + 11).first)
        #expect(status.dayUsage == day)
        #expect(status.monthUsage == month)
        #expect(status.dailyUSD?.remaining == usd(4))
        #expect(status.dailyRequests == nil)
        // 0.5 of the day and 0.5 of the month were crossed before the restart: they do not fire again.
        #expect(try self.spend(&after, 1, at: self.noon + 12).isEmpty)
        #expect(try self.spend(&after, 1, at: self.noon + 13).map(\.threshold) == [0.8])
        // The seeded spend limits as before the restart.
        let refusal = try #require(
            after.admit(alice, estimate: estimate(usd(2.5)), at: self.noon + 14).refusal
        )
        #expect(refusal.spent == usd(8))
    }

    @Test func seedingCountsTheDaysRequests() throws {
        var book = BudgetBook(rules: [BudgetRule(name: "team-a", dailyRequests: 100)])
        book.seed(budget: "team-a", day: BudgetUsage(requests: 99), month: BudgetUsage(requests: 500), at: self.noon)
        #expect(book.admit(alice, estimate: estimate(0), at: self.noon).reservation != nil)
        #expect(book.admit(alice, estimate: estimate(0), at: self.noon).refusal?.spent == 100)
    }

    @Test func moneyTextShowsCentsAndOnlyTheDecimalsThatMatter() {
        #expect(BudgetRefusal.usd(usd(5)) == "$5.00")
        #expect(BudgetRefusal.usd(usd(4.98)) == "$4.98")
        #expect(BudgetRefusal.usd(3_100) == "$0.0031")
        #expect(BudgetRefusal.usd(1) == "$0.000001")
        #expect(BudgetRefusal.usd(usd(1234.5)) == "$1234.50")
        #expect(MicroUSDText.text(usd(1.234567)) == "$1.234567")
        #expect(MicroUSDText.micro(usd: 0.0000005) == 1)
    }
}
