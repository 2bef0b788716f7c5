import JunctionCore

/// What a front end asks the gateway: a validated chat request, its deadline, and who asks. A class: it travels
/// down the request's async path, and a reference keeps it out of every frame.
final class GenerateRequest: Sendable {
    let chat: ChatRequest
    /// The request's overall deadline from now; nil: `defaults.timeout`.
    let timeout: Duration?
    /// The caller's `client` label.
    let client: String?
    let caller: PeerCredentials
    /// The front end's name for the request in logs (the JSON-RPC id, for example); opaque to the gateway.
    let label: String

    init(
        chat: ChatRequest,
        timeout: Duration? = nil,
        client: String? = nil,
        caller: PeerCredentials = PeerCredentials(uid: 0, gid: 0, pid: 0),
        label: String = "-"
    ) {
        self.chat = chat
        self.timeout = timeout
        self.client = client
        self.caller = caller
        self.label = label
    }

    var selection: RouteSelection { RouteSelection(route: self.chat.route, model: self.chat.model) }
}

/// What the gateway tells the caller while a request runs.
enum GenerateEvent: Sendable, Equatable {
    /// Answer text of attempt `attempt`, numbered from 0 within the attempt.
    case delta(attempt: Int, seq: Int, text: String)
    /// Reasoning text of attempt `attempt` (for front ends that show it; the result carries all of it).
    case reasoning(attempt: Int, text: String)
    /// Discard what attempt numbers before `attempt` streamed: attempt `attempt` answers in full.
    case restart(attempt: Int, reason: String)
}

/// Receives the events of one request, in order, on the request's task.
typealias GenerateEventSink = @Sendable (GenerateEvent) -> Void

/// One attempt as results and errors report it.
struct AttemptRecord: Sendable, Equatable {
    var target: TargetRef
    var error: ProviderError?
    /// The stable reason code of a failure (`http_503`, `stream_cut`, ...); nil when it answered.
    var reason: String?
    var latency: Duration
    var status: Int?
    /// Time spent waiting before this attempt (backoff, a provider's Retry-After, a rate window).
    var wait: Duration = .zero
}

/// A target passed over, with why and when that was decided.
struct SkippedTarget: Sendable, Equatable {
    var target: TargetRef
    var reason: SkipReason
    var at: ContinuousClock.Instant
}

/// An answer. A class, so that the held frames of a request carry a reference, not the value.
final class GenerateResult: Sendable {
    let completion: Completion
    let usage: Usage
    /// The provider reported no usage: `usage` is estimated.
    let usageEstimated: Bool
    let target: TargetRef
    /// From the request's start to its end, every wait included.
    let latency: Duration
    let ttft: Duration?
    let rateLimits: RateLimitSnapshot
    let attempts: [AttemptRecord]
    let skipped: [SkippedTarget]

    init(
        completion: Completion,
        usage: Usage,
        usageEstimated: Bool,
        target: TargetRef,
        latency: Duration,
        ttft: Duration?,
        rateLimits: RateLimitSnapshot,
        attempts: [AttemptRecord],
        skipped: [SkippedTarget]
    ) {
        self.completion = completion
        self.usage = usage
        self.usageEstimated = usageEstimated
        self.target = target
        self.latency = latency
        self.ttft = ttft
        self.rateLimits = rateLimits
        self.attempts = attempts
        self.skipped = skipped
    }
}

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

        var name: String {
            switch self {
            case .invalidRequest: "invalid_request"
            case .nothingConfigured: "nothing_configured"
            case .timeout: "timeout"
            case .rateLimited: "rate_limited"
            case .upstream: "upstream_error"
            case .noProviderAvailable: "no_provider_available"
            }
        }
    }

    var kind: Kind
    var attempts: [AttemptRecord] = []
    var skipped: [SkippedTarget] = []
    /// Characters of answer text the caller received from attempts that failed (not retracted); nil: none.
    var partialOutputCharacters: Int?
    var lastError: ProviderError?
    /// From the request's start to its failure, every attempt and wait included; nil when it failed at planning.
    var latency: Duration?
}
