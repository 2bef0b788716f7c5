import JunctionCore
import Logging
import NIOConcurrencyHelpers

/// The shell around the resilience state machines: per target a breaker, rate window, health tracker and daily
/// quota cooldown; per provider a breaker for connection-level failures, a rate window for its configured limits,
/// and the auth, quota and admin marks. Each entry point applies one event under one short-held lock and performs
/// the resulting actions (logs, `event` notifications) after releasing it.
final class Resilience: Sendable {
    struct Key: Hashable, Sendable {
        var provider: String
        var model: String

        init(_ target: TargetRef) {
            self.provider = target.provider
            self.model = target.model
        }
    }

    struct TargetState: Sendable {
        var breaker: CircuitBreaker
        var window: RateWindow
        var health = HealthTracker()
        var status = HealthTracker.Status.noData
        /// The target's daily quota is spent until then (e.g. Gemini's per-day limits).
        var dailyQuotaUntil: ContinuousClock.Instant?

        /// Until when this state must outlive idleness: an open breaker until its open interval ends, a spent
        /// daily quota, a blocked rate window. Nil when nothing would be lost by forgetting it now.
        func heldUntil(at now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
            var until: ContinuousClock.Instant?
            if case .open(_, let end) = self.breaker.state { until = end }
            for mark in [self.dailyQuotaUntil, self.window.blockedUntil] {
                if let mark { until = max(until ?? mark, mark) }
            }
            return until.flatMap { $0 > now ? $0 : nil }
        }

        /// Adds what the target says to `view`. Mutating only to be called in place (the window rolls forward).
        mutating func describe(into view: inout TargetView, tokens: Int, at now: ContinuousClock.Instant) {
            if case .wait(let wait) = self.window.check(tokens: tokens, at: now) {
                view.windowWait = max(view.windowWait ?? .zero, wait)
            }
            view.dailyQuotaUntil = self.dailyQuotaUntil
            view.latencyEWMA = self.health.latencyEWMA
            view.breaker = BreakerPair.view(of: self.breaker, at: now)
        }
    }

    struct ProviderState: Sendable {
        var breaker: CircuitBreaker
        var window: RateWindow
        /// Provider-level probes (the models endpoint) only: a model's failures are its target's.
        var health = HealthTracker()
        var authFailure: String?
        var quotaUntil: ContinuousClock.Instant?
        var disabledByAdmin = false

        /// Adds what the provider says to `view`; its breaker's view goes to `breaker` (it wins over the target's).
        mutating func describe(
            into view: inout TargetView,
            breaker: inout TargetView.Breaker,
            tokens: Int,
            at now: ContinuousClock.Instant
        ) {
            if case .wait(let wait) = self.window.check(tokens: tokens, at: now) { view.windowWait = wait }
            view.adminDisabled = self.disabledByAdmin
            view.authFailure = self.authFailure
            view.quotaUntil = self.quotaUntil
            breaker = BreakerPair.view(of: self.breaker, at: now)
        }
    }

    struct Storage {
        var targets: [Key: TargetState] = [:]
        var providers: [String: ProviderState] = [:]
        var policies: [String: ProviderPolicy] = [:]
        /// The targets the configuration names (models listed, defaults, probe models, route targets): their
        /// states are kept for as long as the daemon runs.
        var configured: Set<Key> = []
        /// Every other target's state ("dynamic": a `provider:model` a caller chose) is bounded by this.
        var retention = TargetRetention<Key>()

        func policy(_ provider: String) -> ProviderPolicy {
            self.policies[provider] ?? ProviderPolicy()
        }

        func isDynamic(_ key: Key) -> Bool {
            !self.configured.contains(key)
        }

        typealias Slots = (
            target: Dictionary<Key, TargetState>.Index, provider: Dictionary<String, ProviderState>.Index
        )

        /// Creates the states of a target and its provider on first use, and returns where they are. Callers then
        /// read and mutate them in place through the indices (`storage.targets.values[slots.target]`): one hash
        /// per dictionary, and no copy of a state, whose arrays would otherwise be copied on every request.
        /// A request's use of a dynamic target counts as recent use, and may forget the least recently used ones.
        mutating func slots(_ key: Key, usedAt now: ContinuousClock.Instant) -> Slots {
            if self.isDynamic(key) {
                // Before taking any index: forgetting states mutates `targets`.
                for evicted in self.retention.used(key, at: now) { self.targets[evicted] = nil }
            }
            let provider = self.ensureProvider(key.provider)
            if let target = self.targets.index(forKey: key) { return (target, provider) }
            self.targets[key] = TargetState(
                breaker: CircuitBreaker(configuration: self.policy(key.provider).breaker), window: RateWindow()
            )
            return (self.targets.index(forKey: key)!, provider)
        }

        /// Tells the retention how long a dynamic target's state must be kept (after an event that may open its
        /// breaker, spend its daily quota or block its window).
        mutating func updateHold(_ key: Key, at now: ContinuousClock.Instant) {
            guard self.isDynamic(key), let state = self.targets[key] else { return }
            self.retention.hold(key, until: state.heldUntil(at: now))
        }

        /// Forgets the dynamic targets idle for the expiry and not held; returns how many.
        mutating func forgetIdleTargets(at now: ContinuousClock.Instant) -> Int {
            let expired = self.retention.expire(at: now)
            for key in expired { self.targets[key] = nil }
            return expired.count
        }

        @discardableResult
        mutating func ensureProvider(_ name: String) -> Dictionary<String, ProviderState>.Index {
            if let index = self.providers.index(forKey: name) { return index }
            let policy = self.policy(name)
            self.providers[name] = ProviderState(
                breaker: CircuitBreaker(configuration: policy.breaker), window: RateWindow(limits: policy.limits)
            )
            return self.providers.index(forKey: name)!
        }

        /// The view routing takes of a target. `window.check` only rolls the windows forward. States not created
        /// yet read as new ones (a plan creates nothing).
        mutating func view(of target: TargetRef, tokens: Int, at now: ContinuousClock.Instant) -> TargetView {
            let providerIndex = self.providers.index(forKey: target.provider)
            let targetIndex = self.targets.index(forKey: Key(target))
            return self.view(target: targetIndex, provider: providerIndex, tokens: tokens, at: now)
        }

        mutating func view(
            target: Dictionary<Key, TargetState>.Index?,
            provider: Dictionary<String, ProviderState>.Index?,
            tokens: Int,
            at now: ContinuousClock.Instant
        ) -> TargetView {
            var view = TargetView()
            var providerBreaker = TargetView.Breaker.admits
            if let provider {
                // Through mutating methods: they reach the stored state in place, where a read of a field through
                // the dictionary's getter would copy the whole state first.
                self.providers.values[provider].describe(
                    into: &view, breaker: &providerBreaker, tokens: tokens, at: now
                )
            }
            if let target {
                self.targets.values[target].describe(into: &view, tokens: tokens, at: now)
            }
            if providerBreaker != .admits { view.breaker = providerBreaker }
            return view
        }
    }

    /// What the shell says at the moment of sending.
    enum Admission: Sendable, Equatable {
        /// Send; the request holds these half-open probe slots until its outcome.
        case go(probes: BreakerPair.ProbeSlots)
        case skip(SkipReason)
        /// The rate window has room in this long; waiting is the planner's decision.
        case wait(Duration)
    }

    /// What an attempt's outcome left behind, for the attempt planner.
    struct Feedback: Sendable, Equatable {
        /// The target's breakers still admit a retry (false once this failure opened one).
        var breakerAdmits: Bool
    }

    let storage = NIOLockedValueBox(Storage())
    let events: EventBus
    let logger: Logger
    /// The fleet's state (`[shared]`): this daemon's marks are published to it; nil: the daemon is alone.
    let shared: (any SharedState)?

    init(events: EventBus, logger: Logger, shared: (any SharedState)? = nil) {
        self.events = events
        self.logger = logger
        self.shared = shared?.isFleet == true ? shared : nil
    }

    // MARK: - Configuration

    /// Takes a configuration (at start and on every reload): every existing breaker and rate window runs on the
    /// new settings at once; counts that still make sense (rolling windows, latency samples, open breakers) are
    /// kept. A reload also forgets auth failures: the key may have been fixed. Targets the configuration stopped
    /// naming become dynamic (bounded from now on), and those it names now are kept for good.
    func configure(_ active: ActiveConfiguration, reloaded: Bool, at now: ContinuousClock.Instant = .now) {
        let policies = active.registry.policies
        let configured = Set(active.configuredTargets.map(Key.init))
        let retention = active.loaded.config.resilience.retention
        self.storage.withLockedValue { storage in
            storage.policies = policies
            storage.configured = configured
            for key in configured { storage.retention.remove(key) }
            for evicted in storage.retention.reconfigure(retention, at: now) { storage.targets[evicted] = nil }
            // Targets that were configured until now start their idle time now.
            for key in Array(storage.targets.keys) where !configured.contains(key) {
                guard storage.targets[key] != nil, !storage.retention.contains(key) else { continue }
                for evicted in storage.retention.used(key, at: now) { storage.targets[evicted] = nil }
            }
            for key in Array(storage.targets.keys) { storage.updateHold(key, at: now) }
            for (name, policy) in policies {
                guard storage.providers[name] != nil else { continue }
                storage.providers[name]!.breaker.reconfigure(policy.breaker)
                storage.providers[name]!.window.reconfigure(limits: policy.limits)
                if reloaded { storage.providers[name]!.authFailure = nil }
            }
            for key in storage.targets.keys {
                storage.targets[key]!.breaker.reconfigure(storage.policy(key.provider).breaker)
            }
        }
    }

    // MARK: - Routing

    /// The views of `targets` for a routing plan, in one lock.
    func views(of targets: [TargetRef], tokens: Int, at now: ContinuousClock.Instant) -> [TargetRef: TargetView] {
        self.storage.withLockedValue { storage in
            var views: [TargetRef: TargetView] = [:]
            views.reserveCapacity(targets.count)
            for target in targets { views[target] = storage.view(of: target, tokens: tokens, at: now) }
            return views
        }
    }

    /// May a request go to `target` now? Decided by the same rule as the plan (`RoutingPlanner.verdict`); when
    /// admitted, the request takes the half-open probe slot if there is one and is charged to the rate windows.
    /// A forced probe passes an open breaker (the plan's all-open fallback).
    func admit(
        _ target: TargetRef,
        table: RoutingTable,
        tokens: Int,
        forcedProbe: Bool,
        at now: ContinuousClock.Instant
    ) -> Admission {
        var transitions: [BreakerPair.ScopedTransition] = []
        let key = Key(target)
        let admission = self.storage.withLockedValue { storage -> Admission in
            let slots = storage.slots(key, usedAt: now)
            var view = storage.view(target: slots.target, provider: slots.provider, tokens: tokens, at: now)
            if forcedProbe { view.breaker = .admits }
            switch RoutingPlanner.verdict(for: target, in: table, view: view, promptTokens: nil, at: now) {
            case .skipped(let reason):
                return .skip(reason)
            case .eligible(let wait?):
                return .wait(wait)
            case .eligible(nil):
                break
            }
            let probes: BreakerPair.ProbeSlots
            if forcedProbe {
                guard
                    BreakerPair.forceProbe(
                        target: &storage.targets.values[slots.target].breaker, transitions: &transitions
                    )
                else { return .skip(.breakerProbing) }
                probes = .target
            } else {
                // Two different stored properties: both may be mutated in place at once.
                let (admission, taken) = BreakerPair.admit(
                    provider: &storage.providers.values[slots.provider].breaker,
                    target: &storage.targets.values[slots.target].breaker, at: now, transitions: &transitions
                )
                if case .reject(let until) = admission {
                    let breakers = [
                        storage.providers.values[slots.provider].breaker, storage.targets.values[slots.target].breaker,
                    ]
                    let probing = breakers.contains { if case .halfOpen = $0.state { true } else { false } }
                    return .skip(probing ? .breakerProbing : .breakerOpen(until: until))
                }
                probes = taken
            }
            storage.targets.values[slots.target].window.recordRequest(tokens: tokens, at: now)
            storage.providers.values[slots.provider].window.recordRequest(tokens: tokens, at: now)
            return .go(probes: probes)
        }
        self.announce(transitions, target: target)
        return admission
    }

    // MARK: - Outcomes

    /// Applies one attempt's outcome to the target's and provider's state, in one lock, then announces what
    /// changed.
    func apply(_ outcome: AttemptOutcome) -> Feedback {
        var transitions: [BreakerPair.ScopedTransition] = []
        let key = Key(outcome.target)
        let (feedback, status, policy) = self.storage.withLockedValue {
            storage -> (Feedback, StatusChange?, ProviderPolicy) in
            let slots = storage.slots(key, usedAt: outcome.ended)
            let policy = storage.policy(key.provider)
            let result = Self.apply(
                outcome, provider: &storage.providers.values[slots.provider],
                target: &storage.targets.values[slots.target], policy: policy, transitions: &transitions
            )
            storage.updateHold(key, at: outcome.ended)
            return (result.0, result.1, policy)
        }
        self.announce(transitions, target: outcome.target)
        if let status { self.announce(status, target: outcome.target) }
        if let shared = self.shared {
            self.publish(Self.marks(of: outcome, policy: policy))
            // The fleet's token window counted the estimate at admission: it learns the real count too.
            if outcome.fleetCounted, policy.limits.tokensPerMinute != nil {
                shared.correctTokens(provider: key.provider, delta: Self.tokenCorrection(outcome))
            }
        }
        return feedback
    }

    private static func apply(
        _ outcome: AttemptOutcome,
        provider: inout ProviderState,
        target state: inout TargetState,
        policy: ProviderPolicy,
        transitions: inout [BreakerPair.ScopedTransition]
    ) -> (Feedback, StatusChange?) {
        let now = outcome.ended
        Self.record(outcome, provider: &provider, target: &state, policy: policy, transitions: &transitions)
        let admits = BreakerPair.admitsRetry(provider: provider.breaker, target: state.breaker, at: now)
        return (Feedback(breakerAdmits: admits), Self.refreshStatus(&state, provider: provider, policy: policy, at: now))
    }

    private static func record(
        _ outcome: AttemptOutcome,
        provider: inout ProviderState,
        target state: inout TargetState,
        policy: ProviderPolicy,
        transitions: inout [BreakerPair.ScopedTransition]
    ) {
        let now = outcome.ended
        switch outcome.result {
        case .abandoned:
            BreakerPair.abandoned(provider: &provider.breaker, target: &state.breaker, holding: outcome.probes)
        case .answered(let answer):
            BreakerPair.succeeded(
                provider: &provider.breaker, target: &state.breaker, at: now, transitions: &transitions
            )
            state.health.recordSuccess(latency: answer.latency, at: now)
            if let actual = answer.totalTokens {
                state.window.correctTokens(estimated: outcome.estimatedTokens, actual: actual, at: now)
                provider.window.correctTokens(estimated: outcome.estimatedTokens, actual: actual, at: now)
            }
            state.window.learn(answer.rateLimits, at: now)
            provider.authFailure = nil
        case .failed(let failure) where failure.disposition.breaker == .local:
            // The daemon's own shortage (file descriptors): the provider learns nothing, health included.
            BreakerPair.abandoned(provider: &provider.breaker, target: &state.breaker, holding: outcome.probes)
            state.window.correctTokens(estimated: outcome.estimatedTokens, actual: 0, at: now)
            provider.window.correctTokens(estimated: outcome.estimatedTokens, actual: 0, at: now)
        case .failed(let failure):
            let error = failure.error
            state.health.recordFailure("\(failure.reason): \(error.message)", at: now)
            if let limits = error.rateLimits { state.window.learn(limits, at: now) }
            let effect = failure.disposition.breaker
            BreakerPair.failed(
                provider: &provider.breaker, target: &state.breaker, effect: effect, reason: failure.reason,
                answered: error.status != nil, holding: outcome.probes, at: now, transitions: &transitions
            )
            // Nothing was generated: the tokens charged at admission are given back (the request still counts).
            state.window.correctTokens(estimated: outcome.estimatedTokens, actual: 0, at: now)
            provider.window.correctTokens(estimated: outcome.estimatedTokens, actual: 0, at: now)
            switch effect {
            case .rateLimited:
                state.window.rateLimited(retryAfter: error.hints.retryAfter, fallback: .seconds(1), at: now)
            case .providerAuth:
                provider.authFailure = error.message
            case .providerQuota:
                provider.quotaUntil = now + policy.quotaCooldown
            case .targetCooldown:
                state.dailyQuotaUntil = now + (error.hints.quotaResetAfter ?? policy.quotaCooldown)
            case .none, .countTarget, .countProvider, .local:
                break
            }
        }
    }

    // MARK: - Announcements

    struct StatusChange {
        var from: HealthTracker.Status
        var to: HealthTracker.Status
        var reason: String
    }

    /// Recomputes a target's status; returns the change, if any, for logging after the lock.
    static func refreshStatus(_ storage: inout Storage, key: Key, at now: ContinuousClock.Instant) -> StatusChange? {
        guard let target = storage.targets.index(forKey: key) else { return nil }
        let provider = storage.ensureProvider(key.provider)
        let policy = storage.policy(key.provider)
        return Self.refreshStatus(
            &storage.targets.values[target], provider: storage.providers.values[provider], policy: policy, at: now
        )
    }

    static func refreshStatus(
        _ state: inout TargetState,
        provider: ProviderState,
        policy: ProviderPolicy,
        at now: ContinuousClock.Instant
    ) -> StatusChange? {
        let (status, reason) = Self.targetStatus(&state, provider: provider, enabled: true, at: now, policy: policy)
        let previous = state.status
        state.status = status
        return previous == status ? nil : StatusChange(from: previous, to: status, reason: reason)
    }

    func announce(_ change: StatusChange, target: TargetRef) {
        self.logger.notice(
            "target status changed",
            metadata: [
                "provider": "\(target.provider)", "model": "\(target.model)", "from": "\(change.from.rawValue)",
                "to": "\(change.to.rawValue)", "reason": "\(change.reason)",
            ]
        )
        self.events.publish(
            topic: "provider.status",
            [
                "provider": .string(target.provider), "model": .string(target.model),
                "from": .string(change.from.rawValue), "to": .string(change.to.rawValue),
                "reason": .string(change.reason),
            ]
        )
    }

    func announce(_ transitions: [BreakerPair.ScopedTransition], target: TargetRef) {
        for scoped in transitions {
            let model = scoped.scope == .target ? target.model : nil
            self.announce(breaker: scoped.transition, provider: target.provider, model: model)
        }
    }

    func announce(breaker transition: CircuitBreaker.Transition, provider: String, model: String?) {
        self.publish(breaker: transition, provider: provider, model: model)
        self.logger.notice(
            "circuit breaker \(transition.from) → \(transition.to)",
            metadata: ["provider": "\(provider)", "model": "\(model ?? "*")", "reason": "\(transition.reason)"]
        )
        self.events.publish(
            topic: "breaker.state",
            [
                "provider": .string(provider), "model": model.map(JSONValue.string) ?? .null,
                "from": .string(transition.from),
                "to": .string(transition.to), "reason": .string(transition.reason),
            ]
        )
    }
}
