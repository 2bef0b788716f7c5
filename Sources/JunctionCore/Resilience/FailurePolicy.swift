/// What to do after a failed attempt: the classification table of the resilience design, in one place.
///
/// | what happened | same target again? | next target? | counts against breaker |
/// |---|---|---|---|
/// | 408, 409, 429 (per-minute), 500–504, 529, refused/reset, TLS, DNS | yes, with backoff | yes, once retries are spent | yes (429: rate window instead) |
/// | 429 with a spent per-day quota (`hints.quotaResetAfter`) | no | yes | no; the target cools down until the reset |
/// | no headers in time; no first token in time | no | yes, at once | yes |
/// | stream stalled or cut | no | yes (with restart) | yes |
/// | context length exceeded | no | only to larger context windows | no |
/// | content filter | no | no (configurable) | no |
/// | other 400, 422 / 404 | no | no / yes | no |
/// | 401, 403, Gemini invalid key | no | yes | provider marked unhealthy (auth) |
/// | billing: insufficient quota, 402, depleted prepayment | no | yes | provider in quota cooldown |
/// | `x-should-retry: false` | no | yes | as its status says |
/// | the daemon is out of file descriptors | no | no (every target needs a socket) | no; not even health learns |
public struct FailureDisposition: Sendable, Equatable {
    public enum Failover: Sendable, Equatable {
        case next
        /// Only to targets whose context window is larger than the failed one's.
        case largerContextOnly
        case none
    }

    public enum BreakerEffect: Sendable, Equatable {
        /// Nothing is counted.
        case none
        /// A failure of this target (provider + model).
        case countTarget
        /// A failure of the connection to the provider: every target of it is affected.
        case countProvider
        /// A 429: the target's rate window learns, the breaker does not count it.
        case rateLimited
        /// A spent per-day quota: this target (not its provider: other models have their own quotas) is skipped
        /// until `now + hints.quotaResetAfter`; the breaker does not count it.
        case targetCooldown
        /// Bad credentials: the provider is unhealthy until a reload or a successful probe.
        case providerAuth
        /// Out of quota: the provider cools down for the quota cooldown.
        case providerQuota
        /// The daemon's own failure (no file descriptor for a socket): the provider is not to blame, so neither its
        /// breakers nor its health learn anything, as if the attempt had been abandoned.
        case local
    }

    public var retrySameTarget: Bool
    public var failover: Failover
    public var breaker: BreakerEffect

    public init(retrySameTarget: Bool, failover: Failover, breaker: BreakerEffect) {
        self.retrySameTarget = retrySameTarget
        self.failover = failover
        self.breaker = breaker
    }
}

public enum FailurePolicy {
    /// The disposition for `error`. `failoverOnContentFilter` is the configurable exception of the table.
    public static func disposition(for error: ProviderError, failoverOnContentFilter: Bool = false) -> FailureDisposition {
        var disposition: FailureDisposition
        switch error.kind {
        case .rateLimited where error.hints.quotaResetAfter != nil:
            disposition = FailureDisposition(retrySameTarget: false, failover: .next, breaker: .targetCooldown)
        case .rateLimited:
            disposition = FailureDisposition(retrySameTarget: true, failover: .next, breaker: .rateLimited)
        case .transient, .serverError, .overloaded:
            disposition = FailureDisposition(retrySameTarget: true, failover: .next, breaker: .countTarget)
        case .transport(let failure):
            switch failure {
            case .dns, .connectRefused, .tls, .connectTimeout:
                disposition = FailureDisposition(retrySameTarget: true, failover: .next, breaker: .countProvider)
            case .connectionReset:
                disposition = FailureDisposition(retrySameTarget: true, failover: .next, breaker: .countTarget)
            case .firstByteTimeout, .ttftTimeout, .idleTimeout, .bodyTooLarge, .other:
                // A silent or stalled route is not retried: it would only burn the caller's deadline.
                disposition = FailureDisposition(retrySameTarget: false, failover: .next, breaker: .countTarget)
            case .deadline:
                disposition = FailureDisposition(retrySameTarget: false, failover: .none, breaker: .none)
            case .outOfFileDescriptors:
                // Another target needs a socket too: the request fails at once, with the local reason.
                disposition = FailureDisposition(retrySameTarget: false, failover: .none, breaker: .local)
            }
        case .truncated, .malformed:
            disposition = FailureDisposition(retrySameTarget: false, failover: .next, breaker: .countTarget)
        case .contextLength:
            disposition = FailureDisposition(retrySameTarget: false, failover: .largerContextOnly, breaker: .none)
        case .contentFilter:
            disposition = FailureDisposition(retrySameTarget: false, failover: failoverOnContentFilter ? .next : .none, breaker: .none)
        case .badRequest:
            disposition = FailureDisposition(retrySameTarget: false, failover: .none, breaker: .none)
        case .notFound:
            disposition = FailureDisposition(retrySameTarget: false, failover: .next, breaker: .none)
        case .auth:
            disposition = FailureDisposition(retrySameTarget: false, failover: .next, breaker: .providerAuth)
        case .quotaExhausted:
            disposition = FailureDisposition(retrySameTarget: false, failover: .next, breaker: .providerQuota)
        }
        if error.hints.shouldRetry == false {
            disposition.retrySameTarget = false
            if disposition.failover == .none, error.kind != .contentFilter, error.kind != .badRequest {
                disposition.failover = .next
            }
        }
        return disposition
    }
}
