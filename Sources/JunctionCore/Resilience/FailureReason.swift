/// The stable vocabulary of failure reasons: what attempts, restarts and logs say about a failure, independent
/// of the provider's or the transport's wording (kept as detail).
public enum FailureReason {
    /// The reason code of `error`; `streamStarted` distinguishes a cut or stalled stream from a failed exchange.
    public static func code(for error: ProviderError, streamStarted: Bool) -> String {
        switch error.kind {
        case .transport(.connectionReset) where streamStarted: return "stream_cut"
        case .truncated where streamStarted: return "stream_cut"
        case .transport(.idleTimeout) where streamStarted: return "stream_stalled"
        case .transport(let failure): return failure.rawValue
        case .rateLimited where error.hints.quotaResetAfter != nil: return "daily_quota"
        case .auth: return "auth_failed"
        case .truncated: return "truncated"
        case .malformed: return "malformed"
        default:
            if let status = error.status { return "http_\(status)" }
            return error.kindName
        }
    }
}
