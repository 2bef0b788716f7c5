/// A finished request as the stats count it: when it started and ended on the wall clock, whether it failed, and
/// its attempts in order (those the caller abandoned left out: they say nothing about the provider).
public struct RequestSample: Sendable, Equatable {
    public var requestID: String
    /// Unix milliseconds.
    public var startedAt: Int64
    public var endedAt: Int64
    /// The request ended in a failure (not a cancellation).
    public var failed: Bool
    public var attempts: [AttemptSample]

    public init(requestID: String, startedAt: Int64, endedAt: Int64, failed: Bool, attempts: [AttemptSample]) {
        self.requestID = requestID
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.failed = failed
        self.attempts = attempts
    }
}

/// One attempt of a request.
public struct AttemptSample: Sendable, Equatable {
    public var target: TargetRef
    /// The failure's stable reason code; nil when it answered.
    public var failureReason: String?
    public var latencyMilliseconds: Int
    /// The wait before it (backoff, Retry-After, rate-window room).
    public var waitMilliseconds: Int
    /// Its known cost (0 when unknown or not billed).
    public var costMicroUSD: MicroUSD
    /// The caller left during it: its cost counts, nothing else does.
    public var abandoned: Bool

    public init(
        target: TargetRef,
        failureReason: String? = nil,
        latencyMilliseconds: Int,
        waitMilliseconds: Int = 0,
        costMicroUSD: MicroUSD = 0,
        abandoned: Bool = false
    ) {
        self.target = target
        self.failureReason = failureReason
        self.latencyMilliseconds = latencyMilliseconds
        self.waitMilliseconds = waitMilliseconds
        self.costMicroUSD = costMicroUSD
        self.abandoned = abandoned
    }

    public var failed: Bool { self.failureReason != nil }
}
