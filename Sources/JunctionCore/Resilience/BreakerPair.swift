/// The two breakers a request to a target passes: the provider's (connection-level failures: DNS, refused,
/// TLS) and the target's own (provider + model). Pure functions over the pair, so that the shell applies one
/// event to both the same way everywhere; each returns the transitions it caused, scoped, for the shell to
/// announce after its lock.
public enum BreakerPair {
    public enum Scope: Sendable, Equatable {
        case provider
        case target
    }

    public struct ScopedTransition: Sendable, Equatable {
        public var scope: Scope
        public var transition: CircuitBreaker.Transition
    }

    /// What routing sees of the pair without changing it.
    public static func view(
        provider: CircuitBreaker,
        target: CircuitBreaker,
        at now: ContinuousClock.Instant
    ) -> TargetView.Breaker {
        for breaker in [provider, target] {
            switch breaker.state {
            case .open(let since, let until) where now < until: return .open(since: since, until: until)
            case .halfOpen(probeInFlight: true): return .probing
            default: continue
            }
        }
        return .admits
    }

    /// Admits a request through both breakers (taking the half-open probe slot where there is one). A request
    /// refused by the target's breaker gives the provider's probe slot back.
    public static func admit(
        provider: inout CircuitBreaker,
        target: inout CircuitBreaker,
        at now: ContinuousClock.Instant,
        transitions: inout [ScopedTransition]
    ) -> CircuitBreaker.Admission {
        let (providerAdmission, providerTransition) = provider.admission(at: now)
        if let providerTransition { transitions.append(ScopedTransition(scope: .provider, transition: providerTransition)) }
        if case .reject = providerAdmission { return providerAdmission }
        let (targetAdmission, targetTransition) = target.admission(at: now)
        if let targetTransition { transitions.append(ScopedTransition(scope: .target, transition: targetTransition)) }
        switch targetAdmission {
        case .reject:
            if case .probe = providerAdmission { provider.probeAbandoned() }
            return targetAdmission
        case .probe:
            return .probe
        case .permit:
            return providerAdmission
        }
    }

    /// Lets one request through the target's open breaker (every target of the request is open).
    public static func forceProbe(target: inout CircuitBreaker, transitions: inout [ScopedTransition]) {
        if let transition = target.beginForcedProbe() {
            transitions.append(ScopedTransition(scope: .target, transition: transition))
        }
    }

    public static func succeeded(
        provider: inout CircuitBreaker,
        target: inout CircuitBreaker,
        at now: ContinuousClock.Instant,
        transitions: inout [ScopedTransition]
    ) {
        if let transition = target.requestSucceeded(at: now) {
            transitions.append(ScopedTransition(scope: .target, transition: transition))
        }
        if let transition = provider.requestSucceeded(at: now) {
            transitions.append(ScopedTransition(scope: .provider, transition: transition))
        }
    }

    /// Applies a failure's breaker effect: counted against the target, or against the connection to the provider
    /// (and so the target too), or not counted (the probe slot is then given back).
    public static func failed(
        provider: inout CircuitBreaker,
        target: inout CircuitBreaker,
        effect: FailureDisposition.BreakerEffect,
        reason: String,
        at now: ContinuousClock.Instant,
        transitions: inout [ScopedTransition]
    ) {
        switch effect {
        case .countProvider:
            if let transition = provider.requestFailed(at: now, reason: reason) {
                transitions.append(ScopedTransition(scope: .provider, transition: transition))
            }
            fallthrough
        case .countTarget:
            if let transition = target.requestFailed(at: now, reason: reason) {
                transitions.append(ScopedTransition(scope: .target, transition: transition))
            }
        default:
            target.probeAbandoned()
            provider.probeAbandoned()
        }
    }

    /// The attempt ended without an outcome (the caller left): no count, but no probe slot stays taken.
    public static func abandoned(provider: inout CircuitBreaker, target: inout CircuitBreaker) {
        target.probeAbandoned()
        provider.probeAbandoned()
    }

    /// Whether a retry could pass both breakers now (a retry after the breaker opened fails over at once).
    public static func admitsRetry(provider: CircuitBreaker, target: CircuitBreaker, at now: ContinuousClock.Instant) -> Bool {
        if case .open = provider.state { return false }
        if case .open = target.state { return false }
        return true
    }
}
