import JunctionCore
import Logging
import NIOConcurrencyHelpers

/// The shell around the resilience state machines: one breaker, rate window and health tracker per target, and
/// per provider a breaker for connection-level failures and the auth, quota and admin marks. Each call applies
/// one event under a short-held lock; logging and event notifications happen after the lock is released.
final class Resilience: Sendable {
    struct Key: Hashable, Sendable {
        var provider: String
        var model: String
    }

    struct TargetState: Sendable {
        var breaker: CircuitBreaker
        var window: RateWindow
        var health = HealthTracker()
        var status = HealthTracker.Status.healthy
    }

    struct ProviderState: Sendable {
        var breaker: CircuitBreaker
        var window: RateWindow
        var health = HealthTracker()
        var authFailure: String?
        var quotaUntil: ContinuousClock.Instant?
        var disabledByAdmin = false
        var status = HealthTracker.Status.healthy
    }

    private struct Storage {
        var targets: [Key: TargetState] = [:]
        var providers: [String: ProviderState] = [:]

        /// Creates the states of a target and its provider on first use. Callers then mutate them in place
        /// (`&storage.targets[key]!`): copying a state out and back would copy its sample arrays on every request.
        mutating func ensure(_ key: Key, policy: ProviderPolicy) {
            if self.targets[key] == nil { self.targets[key] = Resilience.newTarget(policy) }
            if self.providers[key.provider] == nil { self.providers[key.provider] = Resilience.newProvider(policy) }
        }
    }

    /// Why a target is not tried now.
    enum Skip: Sendable, Equatable {
        case disabled
        case authFailed(String)
        case quotaExhausted(until: ContinuousClock.Instant)
        case breakerOpen(until: ContinuousClock.Instant)
        case rateLimited(wait: Duration)

        var reason: String {
            switch self {
            case .disabled: "disabled"
            case .authFailed: "auth_failed"
            case .quotaExhausted: "quota_exhausted"
            case .breakerOpen: "breaker_open"
            case .rateLimited: "rate_limited"
            }
        }
    }

    enum Admission: Sendable, Equatable {
        case go(probe: Bool)
        case skip(Skip)
        /// The rate window has room in this long; waiting is the caller's choice.
        case wait(Duration)
    }

    private let storage = NIOLockedValueBox(Storage())
    private let events: EventBus
    private let logger: Logger

    init(events: EventBus, logger: Logger) {
        self.events = events
        self.logger = logger
    }

    // MARK: - Admission

    /// May a request go to `target` now? A half-open breaker admits exactly one probe: call this only when the
    /// request will be sent if admitted.
    func admit(_ target: TargetRef, policy: ProviderPolicy, enabled: Bool, tokens: Int, at now: ContinuousClock.Instant) -> Admission {
        var transitions: [(Key?, String, CircuitBreaker.Transition)] = []
        let key = Key(provider: target.provider, model: target.model)
        let admission = self.storage.withLockedValue { storage -> Admission in
            storage.ensure(key, policy: policy)
            // Two different stored properties: both may be mutated in place at once.
            return Self.admit(
                provider: &storage.providers[target.provider]!, target: &storage.targets[key]!, enabled: enabled,
                tokens: tokens, at: now, transitions: &transitions, key: key
            )
        }
        for (key, provider, transition) in transitions { self.announce(breaker: transition, provider: provider, model: key?.model) }
        return admission
    }

    /// Orders targets of equal priority for load sharing: a weighted random draw where each target's weight is
    /// scaled by how fast it has been (the lowest latency EWMA counts fully, a target twice as slow half), so that
    /// traffic spreads by `weight` and leans toward the faster among healthy targets. `random` is injected.
    func shareLoad(_ targets: [TargetRef], weights: [Int], random: () -> Double) -> [TargetRef] {
        guard targets.count > 1 else { return targets }
        let latencies = self.storage.withLockedValue { storage in
            targets.map { storage.targets[Key(provider: $0.provider, model: $0.model)]?.health.latencyEWMA }
        }
        let fastest = latencies.compactMap { $0 }.min()
        var pool = Array(zip(targets, zip(weights, latencies)).map { target, entry -> (TargetRef, Double) in
            let (weight, latency) = entry
            let speed = (fastest.map { fastest in latency.map { max(fastest, 1) / max($0, 1) } ?? 1 } ?? 1)
            return (target, Double(max(weight, 1)) * speed)
        })
        var ordered: [TargetRef] = []
        while !pool.isEmpty {
            let total = pool.reduce(0) { $0 + $1.1 }
            var draw = random() * total
            var index = pool.count - 1
            for (position, entry) in pool.enumerated() {
                if draw < entry.1 {
                    index = position
                    break
                }
                draw -= entry.1
            }
            ordered.append(pool.remove(at: index).0)
        }
        return ordered
    }

    private static func admit(
        provider: inout ProviderState,
        target state: inout TargetState,
        enabled: Bool,
        tokens: Int,
        at now: ContinuousClock.Instant,
        transitions: inout [(Key?, String, CircuitBreaker.Transition)],
        key: Key
    ) -> Admission {
        if !enabled || provider.disabledByAdmin { return .skip(.disabled) }
        if let failure = provider.authFailure { return .skip(.authFailed(failure)) }
        if let until = provider.quotaUntil {
            if now < until { return .skip(.quotaExhausted(until: until)) }
            provider.quotaUntil = nil
        }
        if case .wait(let wait) = provider.window.check(tokens: tokens, at: now) { return .wait(wait) }
        if case .wait(let wait) = state.window.check(tokens: tokens, at: now) { return .wait(wait) }
        let (providerAdmission, providerTransition) = provider.breaker.admission(at: now)
        if let providerTransition { transitions.append((nil, key.provider, providerTransition)) }
        if case .reject(let until) = providerAdmission { return .skip(.breakerOpen(until: until)) }
        let (targetAdmission, targetTransition) = state.breaker.admission(at: now)
        if let targetTransition { transitions.append((key, key.provider, targetTransition)) }
        switch targetAdmission {
        case .reject(let until):
            if case .probe = providerAdmission { provider.breaker.probeAbandoned() }
            return .skip(.breakerOpen(until: until))
        case .probe: return .go(probe: true)
        case .permit:
            if case .probe = providerAdmission { return .go(probe: true) }
            return .go(probe: false)
        }
    }

    /// Of `targets`, the one whose breaker opened longest ago: when every target is open, a total outage still
    /// gets one real attempt, so that a recovered provider is found.
    func longestOpen(_ targets: [TargetRef]) -> TargetRef? {
        self.storage.withLockedValue { storage in
            targets.min { first, second in
                let a = storage.targets[Key(provider: first.provider, model: first.model)]?.breaker.openedAt
                let b = storage.targets[Key(provider: second.provider, model: second.model)]?.breaker.openedAt
                return (a ?? .now) < (b ?? .now)
            }
        }
    }

    /// Sends one attempt past an open breaker (the all-open rule), as its probe.
    func forceProbe(_ target: TargetRef, policy: ProviderPolicy) {
        let transition = self.storage.withLockedValue { storage -> CircuitBreaker.Transition? in
            let key = Key(provider: target.provider, model: target.model)
            storage.ensure(key, policy: policy)
            return storage.targets[key]!.breaker.beginForcedProbe()
        }
        if let transition { self.announce(breaker: transition, provider: target.provider, model: target.model) }
    }

    // MARK: - Outcomes

    func requestSent(_ target: TargetRef, policy: ProviderPolicy, tokens: Int, at now: ContinuousClock.Instant) {
        self.storage.withLockedValue { storage in
            let key = Key(provider: target.provider, model: target.model)
            storage.targets[key, default: Self.newTarget(policy)].window.recordRequest(tokens: tokens, at: now)
            storage.providers[target.provider, default: Self.newProvider(policy)].window.recordRequest(tokens: tokens, at: now)
        }
    }

    func succeeded(
        _ target: TargetRef,
        policy: ProviderPolicy,
        latency: Duration,
        estimatedTokens: Int,
        actualTokens: Int?,
        rateLimits: RateLimitSnapshot,
        at now: ContinuousClock.Instant
    ) {
        var transitions: [(String?, CircuitBreaker.Transition)] = []
        let key = Key(provider: target.provider, model: target.model)
        self.storage.withLockedValue { storage in
            storage.ensure(key, policy: policy)
            Self.succeeded(
                provider: &storage.providers[target.provider]!, target: &storage.targets[key]!, latency: latency,
                estimatedTokens: estimatedTokens, actualTokens: actualTokens, rateLimits: rateLimits, at: now,
                transitions: &transitions, model: target.model
            )
        }
        for (model, transition) in transitions { self.announce(breaker: transition, provider: target.provider, model: model) }
        self.refreshStatus(target, policy: policy, at: now)
    }

    private static func succeeded(
        provider: inout ProviderState,
        target state: inout TargetState,
        latency: Duration,
        estimatedTokens: Int,
        actualTokens: Int?,
        rateLimits: RateLimitSnapshot,
        at now: ContinuousClock.Instant,
        transitions: inout [(String?, CircuitBreaker.Transition)],
        model: String
    ) {
        if let transition = state.breaker.requestSucceeded(at: now) { transitions.append((model, transition)) }
        if let transition = provider.breaker.requestSucceeded(at: now) { transitions.append((nil, transition)) }
        state.health.recordSuccess(latency: latency, at: now)
        provider.health.recordSuccess(latency: latency, at: now)
        if let actual = actualTokens {
            state.window.correctTokens(estimated: estimatedTokens, actual: actual, at: now)
            provider.window.correctTokens(estimated: estimatedTokens, actual: actual, at: now)
        }
        state.window.learn(rateLimits, at: now)
        provider.authFailure = nil
    }

    func failed(
        _ target: TargetRef,
        policy: ProviderPolicy,
        error: ProviderError,
        disposition: FailureDisposition,
        at now: ContinuousClock.Instant
    ) {
        var transitions: [(String?, CircuitBreaker.Transition)] = []
        let key = Key(provider: target.provider, model: target.model)
        self.storage.withLockedValue { storage in
            storage.ensure(key, policy: policy)
            Self.failed(
                provider: &storage.providers[target.provider]!, target: &storage.targets[key]!, error: error,
                disposition: disposition, policy: policy, at: now, transitions: &transitions, model: target.model
            )
        }
        for (model, transition) in transitions { self.announce(breaker: transition, provider: target.provider, model: model) }
        self.refreshStatus(target, policy: policy, at: now)
    }

    private static func failed(
        provider: inout ProviderState,
        target state: inout TargetState,
        error: ProviderError,
        disposition: FailureDisposition,
        policy: ProviderPolicy,
        at now: ContinuousClock.Instant,
        transitions: inout [(String?, CircuitBreaker.Transition)],
        model: String
    ) {
        let reason = "\(error.kindName): \(error.message)"
        state.health.recordFailure(reason, at: now)
        provider.health.recordFailure(reason, at: now)
        if let limits = error.rateLimits { state.window.learn(limits, at: now) }
        switch disposition.breaker {
        case .none:
            state.breaker.probeAbandoned()
        case .countTarget:
            if let transition = state.breaker.requestFailed(at: now, reason: error.kindName) { transitions.append((model, transition)) }
        case .countProvider:
            if let transition = provider.breaker.requestFailed(at: now, reason: error.kindName) { transitions.append((nil, transition)) }
            if let transition = state.breaker.requestFailed(at: now, reason: error.kindName) { transitions.append((model, transition)) }
        case .rateLimited:
            state.breaker.probeAbandoned()
            state.window.rateLimited(retryAfter: error.hints.retryAfter, fallback: .seconds(1), at: now)
        case .targetCooldown:
            // A spent daily quota: the target's window stays blocked until the provider's reset.
            state.breaker.probeAbandoned()
            state.window.rateLimited(retryAfter: error.hints.quotaResetAfter, fallback: .seconds(1), at: now)
        case .providerAuth:
            provider.authFailure = error.message
        case .providerQuota:
            provider.quotaUntil = now + policy.quotaCooldown
        }
    }

    /// The caller went away mid-attempt: no outcome, but a probe slot must not stay taken.
    func abandoned(_ target: TargetRef) {
        self.storage.withLockedValue { storage in
            storage.targets[Key(provider: target.provider, model: target.model)]?.breaker.probeAbandoned()
            storage.providers[target.provider]?.breaker.probeAbandoned()
        }
    }

    // MARK: - Probes and administration

    func probeFinished(_ target: TargetRef?, provider name: String, policy: ProviderPolicy, ok: Bool, latency: Duration, detail: String) {
        let now = ContinuousClock.now
        var transitions: [(String?, CircuitBreaker.Transition)] = []
        self.storage.withLockedValue { storage in
            var provider = storage.providers[name] ?? Self.newProvider(policy)
            provider.health.recordProbe(ok: ok, latency: latency, detail: detail, at: now)
            if ok {
                provider.authFailure = nil
                if let transition = provider.breaker.reset(reason: "health probe succeeded") { transitions.append((nil, transition)) }
            }
            storage.providers[name] = provider
            if let target {
                let key = Key(provider: target.provider, model: target.model)
                var state = storage.targets[key] ?? Self.newTarget(policy)
                state.health.recordProbe(ok: ok, latency: latency, detail: detail, at: now)
                if ok, let transition = state.breaker.reset(reason: "health probe succeeded") { transitions.append((target.model, transition)) }
                storage.targets[key] = state
            }
        }
        for (model, transition) in transitions { self.announce(breaker: transition, provider: name, model: model) }
        if let target { self.refreshStatus(target, policy: policy, at: now) }
    }

    /// Targets whose breaker is open now (the health monitor probes them).
    func openTargets() -> [TargetRef] {
        self.storage.withLockedValue { storage in
            storage.targets.compactMap { key, state in
                if case .open = state.breaker.state { return TargetRef(provider: key.provider, model: key.model) }
                if case .halfOpen = state.breaker.state { return TargetRef(provider: key.provider, model: key.model) }
                return nil
            }
        }
    }

    /// Closes breakers by hand; returns how many were open.
    func resetBreakers(provider name: String, model: String?) -> Int {
        var transitions: [(String?, CircuitBreaker.Transition)] = []
        self.storage.withLockedValue { storage in
            if model == nil, let transition = storage.providers[name]?.breaker.reset(reason: "reset by admin") {
                transitions.append((nil, transition))
            }
            for key in storage.targets.keys where key.provider == name && (model == nil || key.model == model) {
                if let transition = storage.targets[key]?.breaker.reset(reason: "reset by admin") { transitions.append((key.model, transition)) }
            }
        }
        for (model, transition) in transitions { self.announce(breaker: transition, provider: name, model: model) }
        return transitions.count
    }

    func setDisabled(provider name: String, _ disabled: Bool, policy: ProviderPolicy) {
        self.storage.withLockedValue { storage in
            storage.providers[name, default: Self.newProvider(policy)].disabledByAdmin = disabled
        }
        self.logger.notice("provider \(disabled ? "disabled" : "enabled") by admin", metadata: ["provider": "\(name)"])
    }

    /// A reload forgets auth failures (the key may have been fixed).
    func configurationReloaded() {
        self.storage.withLockedValue { storage in
            for name in storage.providers.keys { storage.providers[name]?.authFailure = nil }
        }
    }

    // MARK: - Reporting

    /// `providers.health`: every provider and each target seen, with status, breaker, latency, errors, windows.
    func report(registry: ProviderRegistry, at now: ContinuousClock.Instant) -> JSONValue {
        self.storage.withLockedValue { storage in
            var providers: [JSONValue] = []
            for provider in registry.providers {
                let policy = provider.policy
                var state = storage.providers[provider.name] ?? Self.newProvider(policy)
                let status = Self.providerStatus(&state, enabled: provider.config.enabled, at: now, policy: policy)
                var targets: [JSONValue] = []
                for key in storage.targets.keys.filter({ $0.provider == provider.name }).sorted(by: { $0.model < $1.model }) {
                    var target = storage.targets[key]!
                    let (targetStatus, reason) = Self.targetStatus(&target, provider: state, enabled: provider.config.enabled, at: now, policy: policy)
                    var object = Self.describe(breaker: target.breaker, health: &target.health, window: &target.window, at: now)
                    object["model"] = .string(key.model)
                    object["status"] = .string(targetStatus.rawValue)
                    object["reason"] = .string(reason)
                    targets.append(.object(object))
                    storage.targets[key] = target
                }
                var object = Self.describe(breaker: state.breaker, health: &state.health, window: &state.window, at: now)
                object["provider"] = .string(provider.name)
                object["kind"] = .string(provider.config.kind.rawValue)
                object["status"] = .string(status.0.rawValue)
                object["reason"] = .string(status.1)
                object["targets"] = .array(targets)
                if let until = state.quotaUntil, until > now { object["quota_cooldown_ms"] = .int((until - now).milliseconds) }
                providers.append(.object(object))
                storage.providers[provider.name] = state
            }
            return ["providers": .array(providers)]
        }
    }

    private static func describe(breaker: CircuitBreaker, health: inout HealthTracker, window: inout RateWindow, at now: ContinuousClock.Instant) -> JSONObject {
        var breakerObject: JSONObject = ["state": .string(breaker.state.name), "consecutive_failures": .int(breaker.consecutiveFailures)]
        if case .open(_, let until) = breaker.state { breakerObject["open_for_ms"] = .int(max(0, (until - now).milliseconds)) }
        let (rate, requests) = health.errorRate(at: now)
        var latency = JSONObject()
        for (name, percentile) in [("p50", 50.0), ("p95", 95.0), ("p99", 99.0)] {
            latency[name] = health.latency(percentile: percentile).map { .int($0) } ?? .null
        }
        let usage = window.usage(at: now)
        var windowObject: JSONObject = [
            "requests_last_minute": .int(usage.requests), "tokens_last_minute": .int(usage.tokens), "requests_today": .int(usage.requestsToday),
            "rpm_limit": window.limits.requestsPerMinute.map { .int($0) } ?? .null,
            "tpm_limit": window.limits.tokensPerMinute.map { .int($0) } ?? .null,
            "rpd_limit": window.limits.requestsPerDay.map { .int($0) } ?? .null,
        ]
        if let learned = window.learned { windowObject["learned"] = learned.json }
        if let blocked = window.blockedUntil, blocked > now { windowObject["blocked_for_ms"] = .int((blocked - now).milliseconds) }
        var object: JSONObject = [
            "breaker": .object(breakerObject),
            "latency_ms": .object(latency),
            "error_rate": .double((rate * 1000).rounded() / 1000),
            "requests_last_minute": .int(requests),
            "last_error": health.lastError.map(JSONValue.string) ?? .null,
            "rate_window": .object(windowObject),
        ]
        if let probe = health.lastProbe {
            object["last_probe"] = [
                "ok": .bool(probe.ok), "ago_ms": .int((now - probe.at).milliseconds), "latency_ms": .int(probe.latency.milliseconds),
                "detail": .string(probe.detail),
            ]
        }
        return object
    }

    private static func providerStatus(_ state: inout ProviderState, enabled: Bool, at now: ContinuousClock.Instant, policy: ProviderPolicy) -> (HealthTracker.Status, String) {
        if let until = state.quotaUntil, until > now { return (.unhealthy, "quota exhausted") }
        let open: Bool = if case .open = state.breaker.state { true } else { false }
        return state.health.status(
            at: now, disabled: !enabled || state.disabledByAdmin, breakerOpen: open, authFailed: state.authFailure != nil,
            rateLimited: state.window.isBlocked(at: now), slowThreshold: policy.health.slowThreshold
        )
    }

    private static func targetStatus(_ state: inout TargetState, provider: ProviderState, enabled: Bool, at now: ContinuousClock.Instant, policy: ProviderPolicy) -> (HealthTracker.Status, String) {
        if let until = provider.quotaUntil, until > now { return (.unhealthy, "quota exhausted") }
        let open: Bool = if case .open = state.breaker.state { true } else { false }
        return state.health.status(
            at: now, disabled: !enabled || provider.disabledByAdmin, breakerOpen: open, authFailed: provider.authFailure != nil,
            rateLimited: state.window.isBlocked(at: now), slowThreshold: policy.health.slowThreshold
        )
    }

    /// Recomputes a target's status; a change is logged once and announced.
    private func refreshStatus(_ target: TargetRef, policy: ProviderPolicy, at now: ContinuousClock.Instant) {
        let change = self.storage.withLockedValue { storage -> (HealthTracker.Status, HealthTracker.Status, String)? in
            let key = Key(provider: target.provider, model: target.model)
            guard storage.targets[key] != nil, let provider = storage.providers[target.provider] else { return nil }
            let (status, reason) = Self.targetStatus(&storage.targets[key]!, provider: provider, enabled: true, at: now, policy: policy)
            let previous = storage.targets[key]!.status
            storage.targets[key]!.status = status
            return previous == status ? nil : (previous, status, reason)
        }
        guard let (from, to, reason) = change else { return }
        self.logger.notice(
            "target status changed",
            metadata: ["provider": "\(target.provider)", "model": "\(target.model)", "from": "\(from.rawValue)", "to": "\(to.rawValue)", "reason": "\(reason)"]
        )
        self.events.publish(
            topic: "provider.status",
            ["provider": .string(target.provider), "model": .string(target.model), "from": .string(from.rawValue), "to": .string(to.rawValue), "reason": .string(reason)]
        )
    }

    private func announce(breaker transition: CircuitBreaker.Transition, provider: String, model: String?) {
        self.logger.notice(
            "circuit breaker \(transition.from) → \(transition.to)",
            metadata: ["provider": "\(provider)", "model": "\(model ?? "*")", "reason": "\(transition.reason)"]
        )
        self.events.publish(
            topic: "breaker.state",
            [
                "provider": .string(provider), "model": model.map(JSONValue.string) ?? .null, "from": .string(transition.from),
                "to": .string(transition.to), "reason": .string(transition.reason),
            ]
        )
    }

    /// Configured limits are per provider; a target's window counts its own traffic and learns from its 429s.
    private static func newTarget(_ policy: ProviderPolicy) -> TargetState {
        TargetState(breaker: CircuitBreaker(configuration: policy.breaker), window: RateWindow())
    }

    private static func newProvider(_ policy: ProviderPolicy) -> ProviderState {
        ProviderState(breaker: CircuitBreaker(configuration: policy.breaker), window: RateWindow(limits: policy.limits))
    }
}
