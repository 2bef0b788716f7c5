import Foundation
import Testing

@testable import JunctionCore

@Suite("Daily quota reset")
struct QuotaResetTests {
    /// Unix seconds of an RFC 3339 time.
    private func time(_ text: String) -> Double { RFC3339.parse(text)! }

    private func hours(_ value: Double) -> Duration { .milliseconds(Int64(value * 3_600_000)) }

    @Test func ordinaryDays() {
        // Summer (PDT) and winter (PST).
        #expect(QuotaReset.untilNextPacificMidnight(now: self.time("2026-06-15T12:00:00-07:00")) == self.hours(12))
        #expect(QuotaReset.untilNextPacificMidnight(now: self.time("2026-12-01T21:00:00Z")) == self.hours(11))
        // Exactly at midnight the next reset is a day away; just before it, almost none.
        #expect(QuotaReset.untilNextPacificMidnight(now: self.time("2026-06-15T00:00:00-07:00")) == self.hours(24))
        #expect(QuotaReset.untilNextPacificMidnight(now: self.time("2026-01-10T23:59:59.5-08:00")) == .milliseconds(500))
        // Around New Year, the UTC year is already the next one.
        #expect(QuotaReset.untilNextPacificMidnight(now: self.time("2027-01-01T05:00:00Z")) == self.hours(3))
    }

    @Test func springForward() {
        // 2026-03-08 (second Sunday of March) has 23 hours: 02:00 PST becomes 03:00 PDT.
        #expect(QuotaReset.untilNextPacificMidnight(now: self.time("2026-03-07T12:00:00-08:00")) == self.hours(12))
        #expect(QuotaReset.untilNextPacificMidnight(now: self.time("2026-03-08T00:00:00-08:00")) == self.hours(23))
        #expect(QuotaReset.untilNextPacificMidnight(now: self.time("2026-03-08T01:30:00-08:00")) == self.hours(21.5))
        #expect(QuotaReset.untilNextPacificMidnight(now: self.time("2026-03-08T03:30:00-07:00")) == self.hours(20.5))
        #expect(QuotaReset.pacificUTCOffset(at: self.time("2026-03-08T09:59:59Z")) == -8 * 3600)
        #expect(QuotaReset.pacificUTCOffset(at: self.time("2026-03-08T10:00:00Z")) == -7 * 3600)
    }

    @Test func fallBack() {
        // 2026-11-01 (first Sunday of November) has 25 hours: 01:00–02:00 happens twice.
        #expect(QuotaReset.untilNextPacificMidnight(now: self.time("2026-11-01T00:00:00-07:00")) == self.hours(25))
        #expect(QuotaReset.untilNextPacificMidnight(now: self.time("2026-11-01T01:30:00-07:00")) == self.hours(23.5))
        #expect(QuotaReset.untilNextPacificMidnight(now: self.time("2026-11-01T01:30:00-08:00")) == self.hours(22.5))
        #expect(QuotaReset.untilNextPacificMidnight(now: self.time("2026-10-31T23:00:00-07:00")) == self.hours(1))
        #expect(QuotaReset.pacificUTCOffset(at: self.time("2026-11-01T08:59:59Z")) == -7 * 3600)
        #expect(QuotaReset.pacificUTCOffset(at: self.time("2026-11-01T09:00:00Z")) == -8 * 3600)
    }

    /// Offsets every half hour of 2024–2031, and the next midnight every 5½ hours (so at every time of day),
    /// against the system's time-zone database.
    @Test func agreesWithTheTimeZoneDatabase() throws {
        let zone = try #require(TimeZone(identifier: "America/Los_Angeles"), "tzdata for America/Los_Angeles is missing")
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var now = self.time("2024-01-01T00:15:00Z")
        let end = self.time("2032-01-01T00:00:00Z")
        var mismatches: [String] = []
        var step = 0
        while now < end, mismatches.count < 5 {
            let date = Date(timeIntervalSince1970: now)
            let offset = zone.secondsFromGMT(for: date)
            if QuotaReset.pacificUTCOffset(at: now) != offset {
                mismatches.append("\(date): offset \(offset)")
            }
            if step % 11 == 0 {
                let midnight = try #require(
                    calendar.nextDate(after: date, matching: DateComponents(hour: 0, minute: 0, second: 0), matchingPolicy: .nextTime)
                )
                let expected = Duration.milliseconds(Int64(((midnight.timeIntervalSince1970 - now) * 1000).rounded(.up)))
                if QuotaReset.untilNextPacificMidnight(now: now) != expected {
                    mismatches.append("\(date): next midnight \(midnight)")
                }
            }
            now += 1800
            step += 1
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }
}
