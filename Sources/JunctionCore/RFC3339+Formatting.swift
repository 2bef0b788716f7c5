extension CivilDate {
    /// The proleptic Gregorian date of a day counted from 1970-01-01 (the inverse of `daysSinceEpoch`, also
    /// Howard Hinnant's algorithm).
    public static func date(daysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension RFC3339 {
    /// `2026-12-03T00:00:00Z`, or with the local offset `2026-12-02T19:00:00-05:00`; milliseconds only when there
    /// are any (`2026-12-03T00:00:00.250Z`).
    public static func format(unixMilliseconds: Int64, utcOffsetSeconds: Int = 0) -> String {
        let local = unixMilliseconds + Int64(utcOffsetSeconds) * 1000
        var seconds = local / 1000
        var milliseconds = Int(local % 1000)
        if milliseconds < 0 {
            seconds -= 1
            milliseconds += 1000
        }
        var days = Int(seconds / 86_400)
        var secondOfDay = Int(seconds % 86_400)
        if secondOfDay < 0 {
            days -= 1
            secondOfDay += 86_400
        }
        let date = CivilDate.date(daysSinceEpoch: days)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let year = String(date.year)
        var text = String(repeating: "0", count: max(0, 4 - year.count)) + year
        text += "-\(two(date.month))-\(two(date.day))T"
        text += "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))"
        if milliseconds != 0 {
            let digits = String(milliseconds)
            text += "." + String(repeating: "0", count: 3 - digits.count) + digits
        }
        return text + (utcOffsetSeconds == 0 ? "Z" : self.offsetText(seconds: utcOffsetSeconds))
    }

    /// `+05:30`, `-05:00` (seconds of an offset, if any, are dropped: RFC 3339 has none).
    public static func offsetText(seconds: Int) -> String {
        let minutes = abs(seconds) / 60
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return (seconds < 0 ? "-" : "+") + two(minutes / 60) + ":" + two(minutes % 60)
    }
}
