/// A half-open span of Unix milliseconds: `start` is in it, `end` (the start of the next period) is not.
public struct PeriodBounds: Sendable, Equatable {
    public var start: Int64
    public var end: Int64

    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }

    /// Bounds before any time: the first time looked at is after them, so a period is computed for it.
    static let beforeAnyTime = PeriodBounds(start: .min, end: .min)

    public func contains(_ unixMilliseconds: Int64) -> Bool {
        unixMilliseconds >= self.start && unixMilliseconds < self.end
    }
}

/// The calendar budgets are counted in: which day and which month a moment belongs to, in one time zone. Days start
/// at local midnight and months on the 1st; pure functions of Unix milliseconds.
public protocol PeriodCalendar: Sendable {
    /// The time zone's name, for status and messages: `UTC`, `UTC+05:30`, `America/New_York`.
    var identifier: String { get }
    /// The local day containing the moment: from its midnight to the next (23 or 25 hours on a DST change day).
    func day(containing unixMilliseconds: Int64) -> PeriodBounds
    /// The local month containing the moment: from the 1st at midnight to the next 1st.
    func month(containing unixMilliseconds: Int64) -> PeriodBounds
    /// Seconds east of UTC at the moment (for writing local times).
    func utcOffsetSeconds(at unixMilliseconds: Int64) -> Int
}

extension PeriodCalendar {
    /// The moment in RFC 3339 with the zone's offset at that moment: `2026-12-03T00:00:00-05:00`.
    public func rfc3339(_ unixMilliseconds: Int64) -> String {
        let offset = self.utcOffsetSeconds(at: unixMilliseconds)
        return RFC3339.format(unixMilliseconds: unixMilliseconds, utcOffsetSeconds: offset)
    }
}
