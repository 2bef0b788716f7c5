/// What went wrong talking to a provider, classified so that policy can treat each kind differently, with
/// everything the provider said about when to try again.
public struct ProviderError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Bad or missing key, or no permission (401, 403, Gemini's invalid-key 400).
        case auth
        /// 429 or a quota window: slow down. A per-minute limit carries `hints.retryAfter` when the provider
        /// named a wait; a spent per-day quota carries `hints.quotaResetAfter` instead.
        case rateLimited
        /// Billing: out of credit or over a spend limit (OpenAI `insufficient_quota` and its billing codes, 402,
        /// Gemini's depleted prepayment). Waiting will not help.
        case quotaExhausted
        /// The prompt does not fit the model's context window.
        case contextLength
        /// The provider refused the content (safety).
        case contentFilter
        /// Another 400/422: the request itself is wrong.
        case badRequest
        /// 404: no such model or endpoint (a misconfigured target).
        case notFound
        /// 408, 409: transient conflicts.
        case transient
        /// 500, 502, 503, 504.
        case serverError
        /// Anthropic 529 and similar "overloaded" answers.
        case overloaded
        /// The connection failed or timed out.
        case transport(TransportFailure)
        /// The stream ended before the answer did.
        case truncated
        /// The provider's answer could not be understood.
        case malformed
    }

    public var kind: Kind
    public var status: Int?
    /// The provider's error type or status name (`rate_limit_error`, `RESOURCE_EXHAUSTED`).
    public var type: String?
    /// The provider's error code (`insufficient_quota`, `context_length_exceeded`).
    public var code: String?
    public var message: String
    public var hints: RetryHints
    /// Limits learned from the response's headers.
    public var rateLimits: RateLimitSnapshot?

    public init(
        kind: Kind,
        status: Int? = nil,
        type: String? = nil,
        code: String? = nil,
        message: String,
        hints: RetryHints = RetryHints(),
        rateLimits: RateLimitSnapshot? = nil
    ) {
        self.kind = kind
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.hints = hints
        self.rateLimits = rateLimits
    }

    public var description: String {
        var text = self.status.map { "HTTP \($0)" } ?? "error"
        if let type = self.type { text += " \(type)" }
        return "\(text): \(self.message)"
    }

    /// A short, stable name of the kind, for RPC results and logs.
    public var kindName: String {
        switch self.kind {
        case .auth: "auth"
        case .rateLimited: "rate_limited"
        case .quotaExhausted: "quota_exhausted"
        case .contextLength: "context_length"
        case .contentFilter: "content_filter"
        case .badRequest: "bad_request"
        case .notFound: "not_found"
        case .transient: "transient"
        case .serverError: "server_error"
        case .overloaded: "overloaded"
        case .transport(let failure): failure.rawValue
        case .truncated: "truncated"
        case .malformed: "malformed"
        }
    }
}

/// Transport-level failures, each distinguishable.
public enum TransportFailure: String, Sendable, Equatable {
    case dns
    case connectRefused = "connect_refused"
    case connectionReset = "connection_reset"
    case tls
    case connectTimeout = "connect_timeout"
    /// No response headers within the first-byte timeout.
    case firstByteTimeout = "first_byte_timeout"
    /// Streams: no first token within the TTFT timeout.
    case ttftTimeout = "ttft_timeout"
    /// Streams: silence longer than the idle timeout.
    case idleTimeout = "idle_timeout"
    /// The request's overall deadline passed.
    case deadline
    case bodyTooLarge = "body_too_large"
    /// A socket could not be opened because the daemon (or the system) has no file descriptor left: a local
    /// shortage, never the provider's fault.
    case outOfFileDescriptors = "out_of_file_descriptors"
    case other
}

/// Everything a provider said about when to retry.
public struct RetryHints: Sendable, Equatable {
    /// From `retry-after-ms`, `retry-after` (seconds or HTTP date), Gemini `RetryInfo.retryDelay`, or "try again
    /// in 1.2s" in a message.
    public var retryAfter: Duration?
    /// `x-should-retry: true|false`.
    public var shouldRetry: Bool?
    /// A per-day (or other long-window) quota is spent: the time from the response until the provider's next
    /// reset of it (Gemini: midnight in America/Los_Angeles). Retrying the same target sooner cannot succeed.
    public var quotaResetAfter: Duration?

    public init(retryAfter: Duration? = nil, shouldRetry: Bool? = nil, quotaResetAfter: Duration? = nil) {
        self.retryAfter = retryAfter
        self.shouldRetry = shouldRetry
        self.quotaResetAfter = quotaResetAfter
    }
}

/// Rate-limit state a provider reported in its headers.
public struct RateLimitSnapshot: Sendable, Equatable {
    public var requestsLimit: Int?
    public var requestsRemaining: Int?
    public var requestsReset: Duration?
    public var tokensLimit: Int?
    public var tokensRemaining: Int?
    public var tokensReset: Duration?

    public init() {}

    public var isEmpty: Bool { self == RateLimitSnapshot() }

    public var json: JSONValue {
        var object = JSONObject()
        func put(_ key: String, _ value: Int?) { if let value { object[key] = .int(value) } }
        put("requests_limit", self.requestsLimit)
        put("requests_remaining", self.requestsRemaining)
        put("requests_reset_ms", self.requestsReset.map { Int($0.milliseconds) })
        put("tokens_limit", self.tokensLimit)
        put("tokens_remaining", self.tokensRemaining)
        put("tokens_reset_ms", self.tokensReset.map { Int($0.milliseconds) })
        return .object(object)
    }
}
