/// Durations as Junction's configuration writes them: a sequence of number-unit pairs such as `30s`, `250ms`,
/// `5m`, `1h30m`, `1.5s` or `90d`. Units: `us`, `ms`, `s`, `m`, `h`, `d` (24 hours).
public enum DurationText {
    /// Parses `text`, returning nil when it is not a well-formed, non-negative duration.
    public static func parse(_ text: String) -> Duration? {
        var remaining = Substring(text.trimmingSpaces())
        guard !remaining.isEmpty else { return nil }
        var totalMicroseconds: Double = 0
        while !remaining.isEmpty {
            let number = remaining.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            remaining = remaining.dropFirst(number.count)
            let unit = remaining.prefix { $0.isASCII && $0.isLetter }
            remaining = remaining.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "us": scale = 1
            case "ms": scale = 1_000
            case "s": scale = 1_000_000
            case "m": scale = 60_000_000
            case "h": scale = 3_600_000_000
            case "d": scale = 86_400_000_000
            default: return nil
            }
            totalMicroseconds += value * scale
        }
        guard totalMicroseconds.isFinite, totalMicroseconds < 1e15 else { return nil }
        return .microseconds(Int64(totalMicroseconds.rounded()))
    }

    /// A short human spelling of `duration`, the inverse of `parse` for whole units (`1500ms` → `"1.5s"`).
    public static func format(_ duration: Duration) -> String {
        let milliseconds = duration.milliseconds
        if milliseconds < 1_000 || milliseconds % 100 != 0 { return "\(milliseconds)ms" }
        if milliseconds % 60_000 == 0, milliseconds >= 60_000 { return "\(milliseconds / 60_000)m" }
        if milliseconds % 1_000 == 0 { return "\(milliseconds / 1_000)s" }
        return "\(Double(milliseconds) / 1_000)s"
    }
}

extension DurationText {
    /// A rounded human spelling for people: `"14m 59s"`, `"4.2s"`, `"350ms"`, `"2h 5m"`.
    public static func approximate(_ duration: Duration) -> String {
        let milliseconds = max(duration.milliseconds, 0)
        if milliseconds < 1_000 { return "\(milliseconds)ms" }
        if milliseconds < 10_000 { return "\(Double(milliseconds / 100) / 10)s" }
        let seconds = milliseconds / 1_000
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3_600 { return seconds % 60 == 0 ? "\(seconds / 60)m" : "\(seconds / 60)m \(seconds % 60)s" }
        let minutes = seconds / 60
        return minutes % 60 == 0 ? "\(minutes / 60)h" : "\(minutes / 60)h \(minutes % 60)m"
    }
}

extension Duration {
    /// Whole milliseconds, rounded toward zero.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = self.components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }

    /// Whole microseconds, rounded toward zero.
    public var microseconds: Int64 {
        let (seconds, attoseconds) = self.components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}

extension StringProtocol {
    /// Without leading and trailing whitespace.
    public func trimmingSpaces() -> SubSequence {
        let start = self.firstIndex { !$0.isWhitespace } ?? self.endIndex
        let end = self.lastIndex { !$0.isWhitespace }.map { self.index(after: $0) } ?? start
        return self[start..<end]
    }
}
