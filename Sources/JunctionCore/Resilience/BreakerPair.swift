/// The two breakers a request to a target passes: the provider's (connection-level failures: DNS, refused,
/// TLS) and the target's own (provider + model). Pure functions over the pair, so that the shell applies one
/// event to both the same way everywhere; each returns the transitions it caused, scoped, for the shell to
/// announce after its lock.
public enum BreakerPair {
    public enum Scope: Sendable, Equatable {
        case provider
        case target
    }

    /// The half-open probe slots an admitted request holds: only the holder may give a slot back.
    public struct ProbeSlots: OptionSet, Sendable, Equatable {
        public let rawValue: UInt8

        public init(rawValue: UInt8) {
            self.rawValue = rawValue
        }

        public static let provider = ProbeSlots(rawValue: 1)
        public static let target = ProbeSlots(rawValue: 2)
    }

    public struct ScopedTransition: Sendable, Equatable {
        public var scope: Scope
        public var transition: CircuitBreaker.Transition
    }

    /// What routing sees of the pair without changing it: the provider's breaker first, then the target's.
    public static func view(
        provider: CircuitBreaker,
        target: CircuitBreaker,
        at now: ContinuousClock.Instant
    ) -> TargetView.Breaker {
        let providerView = Self.view(of: provider, at: now)
        return providerView == .admits ? Self.view(of: target, at: now) : providerView
    }

    /// What routing sees of one breaker.
    public static func view(of breaker: CircuitBreaker, at now: ContinuousClock.Instant) -> TargetView.Breaker {
        switch breaker.state {
        case .open(let since, let until) where now < until: .open(since: since, until: until)
        case .halfOpen(probeInFlight: true): .probing
        default: .admits
        }
    }

    /// Admits a request through both breakers, taking the half-open probe slot of each that is half-open. A
    /// request refused by the target's breaker gives the provider's slot back. Returns the slots taken, which the
    /// request's outcome must resolve (`succeeded`, `failed`, `abandoned`).
    public static func admit(
        provider: inout CircuitBreaker,
        target: inout CircuitBreaker,
        at now: ContinuousClock.Instant,
        transitions: inout [ScopedTransition]
    ) -> (CircuitBreaker.Admission, ProbeSlots) {
        let (providerAdmission, providerTransition) = provider.admission(at: now)
        if let providerTransition {
            transitions.append(ScopedTransition(scope: .provider, transition: providerTransition))
        }
        if case .reject = providerAdmission { return (providerAdmission, []) }
        let (targetAdmission, targetTransition) = target.admission(at: now)
        if let targetTransition { transitions.append(ScopedTransition(scope: .target, transition: targetTransition)) }
        var slots: ProbeSlots = []
        if case .probe = providerAdmission { slots.insert(.provider) }
        switch targetAdmission {
        case .reject:
            if slots.contains(.provider) { provider.probeAbandoned() }
            return (targetAdmission, [])
        case .probe:
            return (.probe, slots.union(.target))
        case .permit:
            return (providerAdmission, slots)
        }
    }

    /// Lets one request through the target's open breaker (every target of the request is open). Refused (false)
    /// when the target is half-open with its probe in flight: one probe at a time.
    public static func forceProbe(target: inout CircuitBreaker, transitions: inout [ScopedTransition]) -> Bool {
        if case .halfOpen(probeInFlight: true) = target.state { return false }
        if let transition = target.beginForcedProbe() {
            transitions.append(ScopedTransition(scope: .target, transition: transition))
        }
        return true
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

    /// Applies a failure's breaker effect. A connection failure (`countProvider`) counts against the provider and
    /// the target. Any other failure reached the provider: when it carries an HTTP status the connection works, so
    /// it counts as the provider's success; without one (a reset, a timeout) it releases the provider's slot if this
    /// request held it. `countTarget` counts against the target; an uncounted failure releases the target's slot.
    public static func failed(
        provider: inout CircuitBreaker,
        target: inout CircuitBreaker,
        effect: FailureDisposition.BreakerEffect,
        reason: String,
        answered: Bool,
        holding slots: ProbeSlots,
        at now: ContinuousClock.Instant,
        transitions: inout [ScopedTransition]
    ) {
        if effect == .countProvider {
            if let transition = provider.requestFailed(at: now, reason: reason) {
                transitions.append(ScopedTransition(scope: .provider, transition: transition))
            }
        } else if answered {
            if let transition = provider.requestSucceeded(at: now) {
                transitions.append(ScopedTransition(scope: .provider, transition: transition))
            }
        } else if slots.contains(.provider) {
            provider.probeAbandoned()
        }
        switch effect {
        case .countProvider, .countTarget:
            if let transition = target.requestFailed(at: now, reason: reason) {
                transitions.append(ScopedTransition(scope: .target, transition: transition))
            }
        default:
            if slots.contains(.target) { target.probeAbandoned() }
        }
    }

    /// The attempt ended without an outcome (the caller left): no count; the slots it held are given back.
    public static func abandoned(
        provider: inout CircuitBreaker,
        target: inout CircuitBreaker,
        holding slots: ProbeSlots
    ) {
        if slots.contains(.target) { target.probeAbandoned() }
        if slots.contains(.provider) { provider.probeAbandoned() }
    }

    /// Whether a retry could pass both breakers now: false once a breaker opened, or while another request holds
    /// a half-open probe (a retry after the breaker opened fails over at once).
    public static func admitsRetry(
        provider: CircuitBreaker,
        target: CircuitBreaker,
        at now: ContinuousClock.Instant
    ) -> Bool {
        for breaker in [provider, target] {
            switch breaker.state {
            case .open, .halfOpen(probeInFlight: true): return false
            default: continue
            }
        }
        return true
    }
}
