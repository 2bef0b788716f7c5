import Foundation
import JunctionCore

/// A `PeriodCalendar` for an IANA time zone, through Foundation's time-zone database: days start at local midnight
/// whatever the offset that day (a 23-hour day when clocks spring forward, 25 hours when they fall back), months on
/// the local 1st.
struct ZonedPeriodCalendar: PeriodCalendar {
    let identifier: String
    private let timeZone: TimeZone
    private let calendar: Calendar

    /// nil for a name the time-zone database does not know.
    init?(identifier: String) {
        guard let timeZone = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        self.timeZone = timeZone
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
    }

    func day(containing unixMilliseconds: Int64) -> PeriodBounds {
        self.interval(.day, containing: unixMilliseconds)
            ?? FixedOffsetCalendar(offsetSeconds: self.utcOffsetSeconds(at: unixMilliseconds))
            .day(containing: unixMilliseconds)
    }

    func month(containing unixMilliseconds: Int64) -> PeriodBounds {
        self.interval(.month, containing: unixMilliseconds)
            ?? FixedOffsetCalendar(offsetSeconds: self.utcOffsetSeconds(at: unixMilliseconds))
            .month(containing: unixMilliseconds)
    }

    func utcOffsetSeconds(at unixMilliseconds: Int64) -> Int {
        self.timeZone.secondsFromGMT(for: Self.date(unixMilliseconds))
    }

    /// The local day or month containing the moment; nil if Foundation finds none that does.
    private func interval(_ component: Calendar.Component, containing unixMilliseconds: Int64) -> PeriodBounds? {
        guard let interval = self.calendar.dateInterval(of: component, for: Self.date(unixMilliseconds)) else {
            return nil
        }
        let bounds = PeriodBounds(start: Self.milliseconds(interval.start), end: Self.milliseconds(interval.end))
        return bounds.contains(unixMilliseconds) ? bounds : nil
    }

    private static func date(_ unixMilliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(unixMilliseconds) / 1000)
    }

    /// Boundaries are whole seconds, which a `Date` holds exactly; rounding absorbs the division's last bit.
    private static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
