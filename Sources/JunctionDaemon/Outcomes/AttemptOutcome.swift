import JunctionCore

/// How one attempt ended: reported once, by the gateway, to the `OutcomeReporter`.
struct AttemptOutcome: Sendable {
    struct Answer: Sendable {
        var status: Int
        /// Time to first token for streams, else the whole exchange: what health latency measures.
        var latency: Duration
        var totalTokens: Int?
        var rateLimits: RateLimitSnapshot
    }

    struct Failure: Sendable {
        var error: ProviderError
        /// Decided once for this attempt; every consumer reads it from here.
        var disposition: FailureDisposition
        /// The stable reason code (`FailureReason`).
        var reason: String
        /// Streamed output reached the caller before the failure.
        var outputSent: Bool
        /// Characters of answer text sent as deltas.
        var sentCharacters: Int
    }

    enum Result: Sendable {
        case answered(Answer)
        case failed(Failure)
        /// The caller went away (or the daemon is stopping): nothing is counted against the provider.
        case abandoned
    }

    var target: TargetRef
    /// 1-based, across the request's targets.
    var number: Int
    /// The wait (backoff, a provider's hint, rate-window room) before this attempt.
    var wait: Duration
    var started: ContinuousClock.Instant
    var ended: ContinuousClock.Instant
    /// What the rate windows were charged before the provider reported real usage.
    var estimatedTokens: Int
    /// The half-open probe slots the attempt held (resolved by its outcome).
    var probes: BreakerPair.ProbeSlots
    var result: Result
    /// The fleet's rate window counted this attempt (`[shared]`): its token estimate is corrected there too.
    var fleetCounted = false

    var latency: Duration { self.ended - self.started }
}

/// How one request ended: reported once, by the gateway, after its last attempt.
struct RequestOutcome: Sendable {
    enum Result: Sendable {
        case answered(GenerateResult)
        case failed(GenerateFailure)
        case cancelled
    }

    /// The daemon-unique id (the ledger's key).
    var requestID: String
    /// The request as the caller made it (who, which client label, the chat request).
    var request: GenerateRequest
    /// When it started, in Unix milliseconds.
    var wallStart: Int64
    /// The SHA-256 of the canonical prompt (`ChatRequest.canonicalPrompt`): the ledger and the log keep this, never
    /// the prompt.
    var promptSHA256: String
    var started: ContinuousClock.Instant
    var ended: ContinuousClock.Instant
    /// Every attempt, with what each was billed: the abandoned one of a cancelled request too.
    var attempts: [AttemptRecord]
    /// What every billed attempt cost together: summed once here, read by every subscriber.
    var cost: RequestCost
    /// What admission reserved on the caller's budgets (nil: none matched); settled by the budgets' subscriber.
    var reservation: BudgetReservation?
    var result: Result
    /// The cache's part in the request (its policy, and the key it looked up under on which target), so that the
    /// cache's subscriber does not decide or hash again; nil: the cache stayed out.
    var cache: CacheLookup? = nil

    var caller: PeerCredentials { self.request.caller }
    /// The front end's label for the request (for logs): the JSON-RPC id, for example.
    var label: String { self.request.label }
    var client: String? { self.request.client }
    var selection: RouteSelection { self.request.selection }
    var stream: Bool { self.request.chat.stream }
}
