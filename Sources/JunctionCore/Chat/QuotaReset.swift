/// When providers reset their daily quotas: pure functions, the current time passed in.
///
/// Gemini resets requests-per-day and tokens-per-day at midnight Pacific time. Pacific time is written out here
/// (UTC−8, and UTC−7 from the second Sunday of March 02:00 to the first Sunday of November 02:00, the US rule
/// since 2007) rather than read through Foundation's `TimeZone`, so that Core — and with it `junctionctl` and the
/// simulator — does not link Foundation and ICU. The tests check it against the system's time-zone database.
public enum QuotaReset {
    private static let day = 86_400
    private static let hour = 3_600

    /// The time from `now` (Unix seconds) until the next midnight in America/Los_Angeles; never zero (at
    /// midnight exactly, the next one is a day away).
    public static func untilNextPacificMidnight(now: Double) -> Duration {
        let localNow = now + Double(self.pacificUTCOffset(at: now))
        let nextMidnightLocal = ((localNow / Double(self.day)).rounded(.down) + 1) * Double(self.day)
        // Midnight is two hours from either transition (both happen at 02:00 local), so the offset half an hour
        // around the wall-clock midnight is the offset at it.
        let offsetThen = self.pacificUTCOffset(at: nextMidnightLocal + Double(8 * self.hour) - Double(self.hour / 2))
        let nextMidnight = nextMidnightLocal - Double(offsetThen)
        return .milliseconds(Int64(((nextMidnight - now) * 1000).rounded(.up)))
    }

    /// Seconds east of UTC in America/Los_Angeles at `now` (Unix seconds): −28 800 or, in daylight time, −25 200.
    public static func pacificUTCOffset(at now: Double) -> Int {
        let days = Int((now / Double(self.day)).rounded(.down))
        let year = self.year(containing: days)
        // 02:00 PST is 10:00 UTC; 02:00 PDT is 09:00 UTC.
        let start = Double(self.sunday(year: year, month: 3, nth: 2) * self.day + 10 * self.hour)
        let end = Double(self.sunday(year: year, month: 11, nth: 1) * self.day + 9 * self.hour)
        return now >= start && now < end ? -7 * self.hour : -8 * self.hour
    }

    /// Days since 1970-01-01 of the `nth` Sunday of `month`.
    private static func sunday(year: Int, month: Int, nth: Int) -> Int {
        let first = CivilDate.daysSinceEpoch(year: year, month: month, day: 1)
        // 1970-01-01 was a Thursday: weekday 4 with Sunday as 0.
        let weekday = ((first % 7) + 7 + 4) % 7
        return first + (7 - weekday) % 7 + 7 * (nth - 1)
    }

    /// The proleptic Gregorian year of a day counted from 1970-01-01.
    private static func year(containing days: Int) -> Int {
        var year = 1970 + Int((Double(days) / 365.2425).rounded(.down))
        while CivilDate.daysSinceEpoch(year: year, month: 1, day: 1) > days { year -= 1 }
        while CivilDate.daysSinceEpoch(year: year + 1, month: 1, day: 1) <= days { year += 1 }
        return year
    }
}
