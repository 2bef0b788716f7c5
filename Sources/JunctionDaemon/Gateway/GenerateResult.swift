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

/// How the cache answered a request (nil on a result: a provider did).
enum CacheServe: String, Sendable, Equatable {
    /// A fresh stored answer.
    case hit
    /// An identical request in flight answered it too.
    case coalesced
    /// Every target failed; an expired stored answer (within `stale_if_error`) answered.
    case stale
}

/// What the result says beyond the completion: where the cache, structured output and context fitting came in.
struct ResultDetails: Sendable, Equatable {
    /// How the cache answered; nil: a provider did.
    var served: CacheServe?
    /// For an answer from the cache: what the original answer cost (nil: unknown), i.e. what this one saved.
    var savedMicroUSD: MicroUSD?
    /// UTF-8 offsets in the text where each streamed delta ended (what a cache entry keeps to replay).
    var deltaEnds: [Int32] = []
    /// A failed attempt before the answering one had sent deltas (the caller was told to restart).
    var restarted = false
    /// The answer parsed, when the request asked for JSON (and it validated).
    var json: JSONValue?
    /// Messages context fitting dropped from the prompt the answering target received.
    var trimmedMessages = 0
    /// The prompt's size as fitting counted it (nil: fitting did not look).
    var promptTokensEstimated: Int?
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
    let details: ResultDetails

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
        skipped: [SkippedTarget],
        details: ResultDetails = ResultDetails()
    ) {
        self.details = details
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
