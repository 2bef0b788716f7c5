import JunctionCore

/// The calendar text of the ledger's times: day and hour buckets (`2026-11-20`, `2026-11-20T13:00`) and RFC 3339
/// instants, computed from Unix time without Foundation.
enum UsageTime {
    /// The proleptic Gregorian date of a day number (days since 1970-01-01; Howard Hinnant's algorithm, the
    /// inverse of `CivilDate.daysSinceEpoch`).
    static func civil(day: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = day + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let dayOfMonth = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, dayOfMonth)
    }

    /// `2026-11-20` for a day number.
    static func dayText(_ day: Int64) -> String {
        let date = Self.civil(day: day)
        return "\(Self.padded(date.year, 4))-\(Self.padded(date.month, 2))-\(Self.padded(date.day, 2))"
    }

    /// `2026-11-20T13:00` for an hour number (hours since 1970 in the buckets' offset).
    static func hourText(_ hour: Int64) -> String {
        let day = hour >= 0 ? hour / 24 : (hour - 23) / 24
        return "\(Self.dayText(day))T\(Self.padded(hour - day * 24, 2)):00"
    }

    /// The day number of `2026-11-20`, or nil when the text is not such a date.
    static func day(of text: String) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let number = Int64(CivilDate.daysSinceEpoch(year: year, month: month, day: day))
        // 2026-02-31 would land on March 3rd: only dates that come back as written are dates.
        return Self.dayText(number) == text ? number : nil
    }

    /// The hour number of `2026-11-20T13` or `2026-11-20T13:00`, or nil.
    static func hour(of text: String) -> Int64? {
        let parts = text.split(separator: "T", maxSplits: 1)
        guard parts.count == 2, let day = Self.day(of: String(parts[0])) else { return nil }
        let time = parts[1].hasSuffix(":00") ? parts[1].dropLast(3) : parts[1]
        guard time.count == 2, let hour = Int64(time), (0..<24).contains(hour) else { return nil }
        return day * 24 + hour
    }

    /// `2026-11-20T13:05:09Z`, or `2026-11-20T13:05:09.250Z` when the time has milliseconds.
    static func rfc3339(milliseconds: Int64) -> String {
        let seconds = milliseconds >= 0 ? milliseconds / 1_000 : (milliseconds - 999) / 1_000
        let fraction = milliseconds - seconds * 1_000
        let day = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let second = seconds - day * 86_400
        var text = "\(Self.dayText(day))T\(Self.padded(second / 3_600, 2)):\(Self.padded(second / 60 % 60, 2))"
            + ":\(Self.padded(second % 60, 2))"
        if fraction != 0 { text += ".\(Self.padded(fraction, 3))" }
        return text + "Z"
    }

    /// `1.234567` for 1_234_567 micro-USD: the exact decimal, six places.
    static func usd(microUSD: Int) -> String {
        let magnitude = microUSD.magnitude
        let text = "\(magnitude / 1_000_000).\(Self.padded(Int64(magnitude % 1_000_000), 6))"
        return microUSD < 0 ? "-" + text : text
    }

    private static func padded(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
