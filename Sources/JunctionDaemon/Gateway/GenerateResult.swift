import JunctionCore

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
    /// What the provider billed for it and what that cost; nil: nothing was billed (it never answered 2xx).
    var charge: AttemptCharge?
    /// The caller left during this attempt.
    var abandoned = false
}

/// A target passed over, with why and when that was decided.
struct SkippedTarget: Sendable, Equatable {
    var target: TargetRef
    var reason: SkipReason
    var at: ContinuousClock.Instant
}

/// An answer. A class, so that the held frames of a request carry a reference, not the value.
final class GenerateResult: Sendable {
    /// The daemon-unique id of the request (the ledger's key, in the journal too).
    let requestID: String
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
    /// What every billed attempt cost together.
    let cost: RequestCost

    init(
        requestID: String,
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
        self.requestID = requestID
        self.cost = RequestCost(attempts: attempts)
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
