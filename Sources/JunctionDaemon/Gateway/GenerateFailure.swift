import JunctionCore

/// A request that got no answer: what kind of failure, and everything that was tried.
struct GenerateFailure: Error, Sendable {
    enum Kind: Sendable, Equatable {
        /// The request names nothing routable: the caller must change `field`.
        case invalidRequest(field: String, message: String)
        /// Nothing is configured to answer.
        case nothingConfigured(String)
        /// The request's deadline passed.
        case timeout
        /// Every target was rate limited; try again after this long.
        case rateLimited(retryAfter: Duration)
        /// The provider's own answer ends the request (a refusal, a bad request), or the only attempt failed
        /// with an HTTP answer.
        case upstream(TargetRef, ProviderError)
        /// Every target failed or was skipped.
        case noProviderAvailable
        /// The daemon itself is short of a resource (file descriptors): no provider was to blame.
        case outOfFileDescriptors
        /// A budget of the caller has no room for the request's worst case: nothing was sent.
        case budgetExhausted(BudgetRefusal)
        /// No target's answer validated against the requested JSON format (the last answer's problems).
        case structuredOutputInvalid([String])

        var name: String {
            switch self {
            case .invalidRequest: "invalid_request"
            case .nothingConfigured: "nothing_configured"
            case .timeout: "timeout"
            case .rateLimited: "rate_limited"
            case .upstream: "upstream_error"
            case .noProviderAvailable: "no_provider_available"
            case .outOfFileDescriptors: "out_of_file_descriptors"
            case .budgetExhausted: "budget_exhausted"
            case .structuredOutputInvalid: "structured_output_invalid"
            }
        }
    }

    var kind: Kind
    /// The daemon-unique id of the request; nil only for a failure built outside a request (tests).
    var requestID: String?
    var attempts: [AttemptRecord] = []
    var skipped: [SkippedTarget] = []
    /// Characters of answer text the caller received from attempts that failed (not retracted); nil: none.
    var partialOutputCharacters: Int?
    var lastError: ProviderError?
    /// From the request's start to its failure, every attempt and wait included; nil when it failed at planning.
    var latency: Duration?

    /// What the attempts that were billed cost, although no answer came of them.
    var cost: RequestCost { RequestCost(attempts: self.attempts) }
}
