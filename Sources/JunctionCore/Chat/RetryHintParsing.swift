/// Parsers for the many ways providers say "wait": pure functions, the current time passed in.
public enum RetryHintParsing {
    /// Headers as a case-insensitive lookup (names lowercased by the caller).
    public typealias Headers = [String: String]

    /// Collects `retry-after-ms`, `retry-after` and `x-should-retry`. `now` is Unix time in seconds, for
    /// HTTP dates.
    public static func hints(from headers: Headers, now: Double) -> RetryHints {
        var hints = RetryHints()
        if let milliseconds = headers["retry-after-ms"].flatMap({ Double($0.trimmingSpaces()) }), milliseconds >= 0 {
            hints.retryAfter = .milliseconds(Int64(milliseconds.rounded(.up)))
        } else if let value = headers["retry-after"] {
            hints.retryAfter = self.retryAfter(value, now: now)
        }
        switch headers["x-should-retry"]?.lowercased() {
        case "true": hints.shouldRetry = true
        case "false": hints.shouldRetry = false
        default: break
        }
        return hints
    }

    /// `Retry-After`: delta-seconds or an HTTP date.
    public static func retryAfter(_ value: String, now: Double) -> Duration? {
        let text = String(value.trimmingSpaces())
        if let seconds = Double(text), seconds >= 0 { return .milliseconds(Int64((seconds * 1000).rounded(.up))) }
        guard let date = HTTPDate.parse(text) else { return nil }
        return .milliseconds(Int64(max(0, (date - now) * 1000).rounded(.up)))
    }

    /// Go-style durations as OpenAI writes its reset headers: `6m0s`, `120ms`, `1h2m3.5s`, `20s`.
    public static func goDuration(_ text: String) -> Duration? {
        var rest = Substring(text.trimmingSpaces())
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isASCII && $0.isLetter || $0 == "µ" }
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "h": total += value * 3600
            case "m": total += value * 60
            case "s": total += value
            case "ms": total += value / 1000
            case "us", "µs": total += value / 1_000_000
            case "ns": total += value / 1_000_000_000
            default: return nil
            }
        }
        return .milliseconds(Int64((total * 1000).rounded(.up)))
    }

    /// "Please try again in 1.2s." / "in 20ms" / "in 6m0s" inside an error message.
    public static func tryAgainIn(_ message: String) -> Duration? {
        let lower = message.lowercased()
        guard let range = lower.firstRange(of: "try again in ") else { return nil }
        // Number-unit pairs ("1.2s", "6m0s"), stopping at the sentence's own full stop.
        var rest = lower[range.upperBound...]
        var duration = ""
        while let first = rest.first, first.isNumber {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            let unit = rest.dropFirst(number.count).prefix { $0.isASCII && $0.isLetter }
            guard !unit.isEmpty else { break }
            duration += number.hasSuffix(".") ? String(number.dropLast()) + String(unit) : String(number) + String(unit)
            rest = rest.dropFirst(number.count + unit.count)
        }
        return self.goDuration(duration)
    }

    /// Gemini's `RetryInfo.retryDelay`: a protobuf duration string such as `"30s"` or `"1.5s"`.
    public static func protobufDuration(_ text: String) -> Duration? {
        guard text.hasSuffix("s"), let seconds = Double(text.dropLast()), seconds >= 0 else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }

    /// What a Google API error's `details` say: `google.rpc.QuotaFailure` violations, `google.rpc.RetryInfo` and
    /// `google.rpc.ErrorInfo` (whose metadata may name a quota too). Details are matched by their `@type`;
    /// unknown ones are ignored.
    public static func googleErrorDetails(_ details: [JSONValue]) -> GoogleErrorDetails {
        var parsed = GoogleErrorDetails()
        for detail in details {
            let type = detail["@type"]?.stringValue ?? ""
            if type.hasSuffix("google.rpc.QuotaFailure") {
                for violation in detail["violations"]?.arrayValue ?? [] {
                    guard let quotaID = violation["quotaId"]?.stringValue else { continue }
                    parsed.violations.append(
                        GoogleErrorDetails.Violation(
                            quotaID: quotaID,
                            quotaMetric: violation["quotaMetric"]?.stringValue,
                            quotaValue: violation["quotaValue"]?.stringValue
                        )
                    )
                }
            } else if type.hasSuffix("google.rpc.RetryInfo") {
                if let delay = detail["retryDelay"]?.stringValue.flatMap(self.protobufDuration) {
                    parsed.retryDelay = delay
                }
            } else if type.hasSuffix("google.rpc.ErrorInfo") {
                parsed.reason = detail["reason"]?.stringValue ?? parsed.reason
                // The older form names the quota in the metadata (`RATE_LIMIT_EXCEEDED`).
                let metadata = detail["metadata"]
                if let quotaID = metadata?["quota_limit"]?.stringValue {
                    parsed.violations.append(
                        GoogleErrorDetails.Violation(
                            quotaID: quotaID,
                            quotaMetric: metadata?["quota_metric"]?.stringValue,
                            quotaValue: metadata?["quota_limit_value"]?.stringValue
                        )
                    )
                }
            }
        }
        return parsed
    }

    /// OpenAI's `x-ratelimit-*` headers.
    public static func openAIRateLimits(_ headers: Headers) -> RateLimitSnapshot {
        var snapshot = RateLimitSnapshot()
        snapshot.requestsLimit = headers["x-ratelimit-limit-requests"].flatMap { Int($0) }
        snapshot.requestsRemaining = headers["x-ratelimit-remaining-requests"].flatMap { Int($0) }
        snapshot.requestsReset = headers["x-ratelimit-reset-requests"].flatMap(self.goDuration)
        snapshot.tokensLimit = headers["x-ratelimit-limit-tokens"].flatMap { Int($0) }
        snapshot.tokensRemaining = headers["x-ratelimit-remaining-tokens"].flatMap { Int($0) }
        snapshot.tokensReset = headers["x-ratelimit-reset-tokens"].flatMap(self.goDuration)
        return snapshot
    }

    /// Anthropic's `anthropic-ratelimit-*` headers; resets are RFC 3339 times.
    public static func anthropicRateLimits(_ headers: Headers, now: Double) -> RateLimitSnapshot {
        var snapshot = RateLimitSnapshot()
        func reset(_ name: String) -> Duration? {
            guard let text = headers[name], let date = RFC3339.parse(text) else { return nil }
            return .milliseconds(Int64(max(0, (date - now) * 1000).rounded(.up)))
        }
        snapshot.requestsLimit = headers["anthropic-ratelimit-requests-limit"].flatMap { Int($0) }
        snapshot.requestsRemaining = headers["anthropic-ratelimit-requests-remaining"].flatMap { Int($0) }
        snapshot.requestsReset = reset("anthropic-ratelimit-requests-reset")
        snapshot.tokensLimit = headers["anthropic-ratelimit-tokens-limit"].flatMap { Int($0) }
        snapshot.tokensRemaining = headers["anthropic-ratelimit-tokens-remaining"].flatMap { Int($0) }
        snapshot.tokensReset = reset("anthropic-ratelimit-tokens-reset")
        return snapshot
    }
}

/// The structured part of a Google API error (`error.details[]`).
public struct GoogleErrorDetails: Sendable, Equatable {
    /// One exhausted quota of a `QuotaFailure`, e.g. `GenerateRequestsPerMinutePerProjectPerModel-FreeTier`.
    public struct Violation: Sendable, Equatable {
        /// How long the quota's window is, as its id names it.
        public enum Window: Sendable, Equatable {
            /// `…PerMinute…` or `…PerSecond…`: refilled within a minute.
            case short
            /// `…PerDay…`: refilled at the provider's daily reset.
            case daily
            /// An id that names neither; treated like a short window.
            case unknown
        }

        public var quotaID: String
        public var quotaMetric: String?
        /// The limit, as a decimal string (`"250"`); `"0"` means the tier has no allowance at all.
        public var quotaValue: String?

        public init(quotaID: String, quotaMetric: String? = nil, quotaValue: String? = nil) {
            self.quotaID = quotaID
            self.quotaMetric = quotaMetric
            self.quotaValue = quotaValue
        }

        public var window: Window {
            if self.quotaID.contains("PerDay") { return .daily }
            if self.quotaID.contains("PerMinute") || self.quotaID.contains("PerSecond") { return .short }
            return .unknown
        }
    }

    public var violations: [Violation] = []
    /// `RetryInfo.retryDelay`.
    public var retryDelay: Duration?
    /// `ErrorInfo.reason` (`API_KEY_INVALID`).
    public var reason: String?

    public init(violations: [Violation] = [], retryDelay: Duration? = nil, reason: String? = nil) {
        self.violations = violations
        self.retryDelay = retryDelay
        self.reason = reason
    }

    /// Waiting a minute cannot help: a per-day quota is spent, or a quota's limit is zero (the model has no
    /// allowance on this tier, whatever window the id names). Gemini sends a `RetryInfo` with these too; it
    /// names the per-minute refill and is no reason to try again.
    public var needsDailyReset: Bool {
        self.violations.contains { $0.window == .daily || $0.quotaValue == "0" }
    }
}

/// RFC 3339 timestamps (`2026-11-21T10:00:30Z`, `2026-11-21T10:00:30.5+01:00`) to Unix seconds.
public enum RFC3339 {
    public static func parse(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[range] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] | 0x20 == UInt8(ascii: "t")
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        guard index < bytes.count else { return nil }
        var offset = 0
        if bytes[index] | 0x20 == UInt8(ascii: "z") {
            index += 1
        } else if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            guard let hours = number(index + 1..<index + 3), let minutes = number(index + 4..<index + 6) else { return nil }
            offset = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "+") ? 1 : -1)
            index += 6
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let days = CivilDate.daysSinceEpoch(year: year, month: month, day: day)
        return Double(days * 86400 + hour * 3600 + minute * 60 + second - offset) + fraction
    }
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the HTTP date format, to Unix seconds.
public enum HTTPDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    public static func parse(_ text: String) -> Double? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]),
            let month = self.months.firstIndex(of: parts[2].lowercased()), let year = Int(parts[3])
        else { return nil }
        let time = parts[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3 else { return nil }
        let days = CivilDate.daysSinceEpoch(year: year, month: month + 1, day: day)
        return Double(days * 86400 + time[0] * 3600 + time[1] * 60 + time[2])
    }
}

enum CivilDate {
    /// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
