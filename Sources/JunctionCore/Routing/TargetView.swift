/// What the resilience state says about one target at one instant, as routing needs it. The shell takes these
/// under its lock; the planner decides from them without touching any state.
public struct TargetView: Sendable, Equatable {
    public enum Breaker: Sendable, Equatable {
        /// Closed, or open with its interval over (the next request is its probe).
        case admits
        case open(since: ContinuousClock.Instant, until: ContinuousClock.Instant)
        case probing
    }

    public var adminDisabled = false
    public var authFailure: String?
    public var quotaUntil: ContinuousClock.Instant?
    public var dailyQuotaUntil: ContinuousClock.Instant?
    /// The provider's breaker and the target's, composed (`BreakerPair.view`).
    public var breaker = Breaker.admits
    /// nil: the rate windows have room now; else room comes after this long.
    public var windowWait: Duration?
    /// Milliseconds; nil before the first success.
    public var latencyEWMA: Double?

    public init(
        adminDisabled: Bool = false,
        authFailure: String? = nil,
        quotaUntil: ContinuousClock.Instant? = nil,
        dailyQuotaUntil: ContinuousClock.Instant? = nil,
        breaker: Breaker = .admits,
        windowWait: Duration? = nil,
        latencyEWMA: Double? = nil
    ) {
        self.adminDisabled = adminDisabled
        self.authFailure = authFailure
        self.quotaUntil = quotaUntil
        self.dailyQuotaUntil = dailyQuotaUntil
        self.breaker = breaker
        self.windowWait = windowWait
        self.latencyEWMA = latencyEWMA
    }
}
