/// A `PeriodCalendar` for UTC or a zone at a fixed offset from it (no daylight saving time).
public struct FixedOffsetCalendar: PeriodCalendar, Equatable {
    public static let utc = FixedOffsetCalendar(offsetSeconds: 0)

    private static let dayMilliseconds: Int64 = 86_400_000

    /// Seconds east of UTC.
    public let offsetSeconds: Int

    public init(offsetSeconds: Int) {
        self.offsetSeconds = offsetSeconds
    }

    public var identifier: String {
        guard self.offsetSeconds != 0 else { return "UTC" }
        return "UTC" + RFC3339.offsetText(seconds: self.offsetSeconds)
    }

    public func utcOffsetSeconds(at unixMilliseconds: Int64) -> Int { self.offsetSeconds }

    public func day(containing unixMilliseconds: Int64) -> PeriodBounds {
        let offset = Int64(self.offsetSeconds) * 1000
        let localDay = Self.floorDivide(unixMilliseconds + offset, Self.dayMilliseconds)
        let start = localDay * Self.dayMilliseconds - offset
        return PeriodBounds(start: start, end: start + Self.dayMilliseconds)
    }

    public func month(containing unixMilliseconds: Int64) -> PeriodBounds {
        let offset = Int64(self.offsetSeconds) * 1000
        let localDay = Int(Self.floorDivide(unixMilliseconds + offset, Self.dayMilliseconds))
        let date = CivilDate.date(daysSinceEpoch: localDay)
        let first = CivilDate.daysSinceEpoch(year: date.year, month: date.month, day: 1)
        let next =
            date.month == 12
            ? CivilDate.daysSinceEpoch(year: date.year + 1, month: 1, day: 1)
            : CivilDate.daysSinceEpoch(year: date.year, month: date.month + 1, day: 1)
        return PeriodBounds(
            start: Int64(first) * Self.dayMilliseconds - offset,
            end: Int64(next) * Self.dayMilliseconds - offset
        )
    }

    /// Division rounding towards minus infinity (times before 1970 too).
    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor < 0 ? quotient - 1 : quotient
    }
}
