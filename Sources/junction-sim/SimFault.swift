/// What the simulator does with one request, chosen by the model name (`sim-503`, `gpt-4o-mini@cut-3`) or set
/// for a model through the control endpoint.
///
/// Spelling: `NAME[-PARAM][@COUNT]`. With `@COUNT` the fault applies to the first COUNT requests for that model
/// and later ones are answered normally ("500 once, then healthy" is `500@1`).
enum SimFault: Equatable, Sendable {
    case none
    /// 429 with `Retry-After: seconds` (and `retry-after-ms`); `seconds == nil`: no hint at all.
    case rateLimited(seconds: Double?)
    case serverError(Int)  // 500, 502, 503, 504
    case overloaded  // Anthropic 529
    case unauthorized  // 401
    case contextLength  // 400 in the provider's format
    case contentFilter  // 400 refusal
    /// Billing: OpenAI 429 `insufficient_quota`, Anthropic's credit balance, Gemini's depleted prepayment.
    case insufficientQuota
    /// 400 whose message echoes the request's credential headers, as some proxies do (`sim-echo`).
    case echoCredentials
    /// Gemini 429 for a per-minute quota: a `QuotaFailure` naming
    /// `GenerateRequestsPerMinutePerProjectPerModel-FreeTier` and `RetryInfo.retryDelay` of `seconds`. Other
    /// formats answer their own 429 with that hint.
    case geminiRateMinute(seconds: Double)
    /// Gemini 429 for a spent per-day quota (`GenerateRequestsPerDayPerProjectPerModel-FreeTier`), with the
    /// `RetryInfo` Gemini sends alongside. OpenAI answers its requests-per-day 429; Anthropic a plain 429.
    case geminiQuotaDay
    /// Close the connection before any response header.
    case resetBeforeHeaders
    /// Accept and never answer.
    case hang
    /// Headers at once, first token after `milliseconds`.
    case slowFirstToken(milliseconds: Int)
    /// Streams: close the connection after `tokens` tokens.
    case cut(tokens: Int)
    /// Streams: stop sending after `tokens` tokens, keeping the connection open.
    case stall(tokens: Int)
    /// Streams: one unreadable event in the middle.
    case malformedEvent
    /// Streams: no `[DONE]` / `message_stop`; the body ends after the finish.
    case missingSentinel
    /// 503 for the first `milliseconds` after the first request for this model, then healthy.
    case outage(milliseconds: Int)
    /// Streams: data without end.
    case flood
    /// Header lines without end.
    case headersForever
    /// Pace tokens `milliseconds` apart.
    case pace(milliseconds: Int)

    /// Parses the part of a model name after `sim-` or `@`, e.g. `429-2`, `cut-3`, `outage-60000`.
    static func parse(_ text: String) -> SimFault? {
        let parts = text.split(separator: "-", maxSplits: 1).map(String.init)
        let parameter = parts.count > 1 ? parts[1] : nil
        let number = parameter.flatMap { Double($0) }
        switch parts.first ?? "" {
        case "ok": return SimFault.none
        case "429": return parameter == "nohint" ? .rateLimited(seconds: nil) : .rateLimited(seconds: number ?? 2)
        case "500", "502", "503", "504": return .serverError(Int(parts[0])!)
        case "529": return .overloaded
        case "401": return .unauthorized
        case "context": return .contextLength
        case "filter": return .contentFilter
        case "quota": return .insufficientQuota
        case "echo": return .echoCredentials
        case "gemini_rate_minute": return .geminiRateMinute(seconds: number ?? 2)
        case "gemini_quota_day": return .geminiQuotaDay
        case "reset": return .resetBeforeHeaders
        case "hang": return .hang
        case "slowfirst": return .slowFirstToken(milliseconds: Int(number ?? 5000))
        case "cut": return .cut(tokens: Int(number ?? 3))
        case "stall": return .stall(tokens: Int(number ?? 3))
        case "malformed": return .malformedEvent
        case "nosentinel": return .missingSentinel
        case "outage": return .outage(milliseconds: Int(number ?? 60_000))
        case "flood": return .flood
        case "headersforever": return .headersForever
        case "pace": return .pace(milliseconds: Int(number ?? 20))
        default: return nil
        }
    }

    var name: String {
        switch self {
        case .none: "ok"
        case .rateLimited(let seconds): seconds.map { "429-\($0)" } ?? "429-nohint"
        case .serverError(let status): "\(status)"
        case .overloaded: "529"
        case .unauthorized: "401"
        case .contextLength: "context"
        case .contentFilter: "filter"
        case .insufficientQuota: "quota"
        case .echoCredentials: "echo"
        case .geminiRateMinute(let seconds): "gemini_rate_minute-\(seconds)"
        case .geminiQuotaDay: "gemini_quota_day"
        case .resetBeforeHeaders: "reset"
        case .hang: "hang"
        case .slowFirstToken(let milliseconds): "slowfirst-\(milliseconds)"
        case .cut(let tokens): "cut-\(tokens)"
        case .stall(let tokens): "stall-\(tokens)"
        case .malformedEvent: "malformed"
        case .missingSentinel: "nosentinel"
        case .outage(let milliseconds): "outage-\(milliseconds)"
        case .flood: "flood"
        case .headersForever: "headersforever"
        case .pace(let milliseconds): "pace-\(milliseconds)"
        }
    }
}

/// A fault with how many requests it applies to.
struct SimFaultRule: Sendable {
    var fault: SimFault
    var remaining: Int?

    /// `sim-503`, `sim-500@1`, `gpt-x@cut-3`, `sim-outage-60000`. Nil: no fault in the name.
    static func fromModel(_ model: String) -> SimFaultRule? {
        var spec: Substring
        if model.hasPrefix("sim-") {
            spec = model.dropFirst(4)
        } else if let at = model.firstIndex(of: "@"), model[model.index(after: at)...].first?.isNumber == false {
            spec = model[model.index(after: at)...]
        } else {
            return nil
        }
        var remaining: Int?
        if let at = spec.lastIndex(of: "@"), let count = Int(spec[spec.index(after: at)...]) {
            remaining = count
            spec = spec[..<at]
        }
        return SimFault.parse(String(spec)).map { SimFaultRule(fault: $0, remaining: remaining) }
    }
}
