import JunctionCore

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
        // Read as bytes: OpenAI sends two of these with every answer.
        var bytes = Substring(text).utf8[...]
        while let first = bytes.first, Self.isSpace(first) { bytes.removeFirst() }
        while let last = bytes.last, Self.isSpace(last) { bytes.removeLast() }
        guard !bytes.isEmpty else { return nil }
        var total = 0.0
        while !bytes.isEmpty {
            let number = bytes.prefix { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }
            guard let value = Double(String(decoding: number, as: UTF8.self)) else { return nil }
            bytes = bytes.dropFirst(number.count)
            // Letters, and µ (U+00B5, C2 B5 in UTF-8).
            let unit = bytes.prefix { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A || $0 == 0xC2 || $0 == 0xB5 }
            bytes = bytes.dropFirst(unit.count)
            switch String(decoding: unit, as: UTF8.self) {
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

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) }

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
