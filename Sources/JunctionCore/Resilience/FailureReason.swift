/// Why an attempt failed, in one stable vocabulary: a short `code` for logs, `generate.restart`, attempt outcomes
/// and health, and the provider's or transport's own words as `detail`.
///
/// Codes are part of the interface (README, "Failure reasons"); they are never renamed, only added.
///
/// | code | when |
/// |---|---|
/// | `http_<status>` | an HTTP error that only its status describes: 408, 409, 500–504, 529, other 4xx |
/// | `rate_limited` | 429 or a per-minute quota |
/// | `daily_quota` | a per-day quota is spent; the target waits for the provider's daily reset |
/// | `quota_exhausted` | billing: out of credit or over a spend limit |
/// | `auth_failed` | bad or missing key, no permission |
/// | `context_length` | the prompt does not fit the model |
/// | `content_filter` | the provider refused the content |
/// | `not_found` | no such model or endpoint |
/// | `server_error`, `overloaded`, `transient`, `bad_request` | those classes without a status (stream error events) |
/// | `dns`, `connect_refused`, `connect_timeout`, `tls` | the connection could not be made |
/// | `connection_reset` | the connection broke before any output was sent |
/// | `first_byte_timeout` | no response headers in time |
/// | `ttft_timeout` | no first token in time |
/// | `stream_stalled` | silence longer than the idle timeout after output was sent |
/// | `idle_timeout` | the same before any output was sent |
/// | `stream_cut` | the connection broke or the stream ended early after output was sent |
/// | `truncated` | the answer ended early before any output was sent |
/// | `malformed` | the answer could not be understood |
/// | `body_too_large` | the answer exceeded the size limit |
/// | `deadline` | the request's deadline passed |
/// | `out_of_file_descriptors` | the daemon could not open a socket: a local shortage, not the provider's fault |
/// | `transport_error` | any other transport failure |
/// | `cancelled` | the caller went away (not a provider failure; see `FailureReason.cancelled`) |
public struct FailureReason: Sendable, Equatable, CustomStringConvertible {
    /// One of `FailureReason.codes`, or `http_<status>`.
    public var code: String
    /// The provider's or the transport's message, unchanged (may be empty).
    public var detail: String

    public init(code: String, detail: String = "") {
        self.code = code
        self.detail = detail
    }

    /// The reason for `error`; `streamStarted` is whether output of the attempt had already been sent on.
    public init(_ error: ProviderError, streamStarted: Bool) {
        self.init(code: Self.code(for: error, streamStarted: streamStarted), detail: error.message)
    }

    /// `code: detail`, or the code alone.
    public var description: String {
        self.detail.isEmpty ? self.code : "\(self.code): \(self.detail)"
    }

    /// The caller cancelled the request or disconnected.
    public static let cancelled = FailureReason(code: "cancelled")

    /// Every fixed code; `http_<status>` codes come on top.
    public static let codes: [String] = [
        "rate_limited", "daily_quota", "quota_exhausted", "auth_failed", "context_length", "content_filter",
        "not_found", "server_error", "overloaded", "transient", "bad_request", "dns", "connect_refused",
        "connect_timeout", "tls", "connection_reset", "first_byte_timeout", "ttft_timeout", "stream_stalled",
        "idle_timeout", "stream_cut", "truncated", "malformed", "body_too_large", "deadline", "transport_error",
        "cancelled", "out_of_file_descriptors",
    ]

    /// The code for `error`; `streamStarted` is whether output of the attempt had already been sent on.
    public static func code(for error: ProviderError, streamStarted: Bool) -> String {
        // Classes that policy treats by their status alone are named by it, so that a 503 reads `http_503`.
        func byStatus(_ name: String) -> String { error.status.map { "http_\($0)" } ?? name }
        switch error.kind {
        case .rateLimited: return error.hints.quotaResetAfter == nil ? "rate_limited" : "daily_quota"
        case .quotaExhausted: return "quota_exhausted"
        case .auth: return "auth_failed"
        case .contextLength: return "context_length"
        case .contentFilter: return "content_filter"
        case .notFound: return "not_found"
        case .badRequest: return byStatus("bad_request")
        case .transient: return byStatus("transient")
        case .serverError: return byStatus("server_error")
        case .overloaded: return byStatus("overloaded")
        case .truncated: return streamStarted ? "stream_cut" : "truncated"
        case .malformed: return "malformed"
        case .transport(let failure):
            switch failure {
            case .dns: return "dns"
            case .connectRefused: return "connect_refused"
            case .connectTimeout: return "connect_timeout"
            case .tls: return "tls"
            case .connectionReset: return streamStarted ? "stream_cut" : "connection_reset"
            case .firstByteTimeout: return "first_byte_timeout"
            case .ttftTimeout: return "ttft_timeout"
            case .idleTimeout: return streamStarted ? "stream_stalled" : "idle_timeout"
            case .deadline: return "deadline"
            case .bodyTooLarge: return "body_too_large"
            case .outOfFileDescriptors: return "out_of_file_descriptors"
            case .other: return "transport_error"
            }
        }
    }
}
