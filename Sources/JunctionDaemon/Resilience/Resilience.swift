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
    }

    struct ProviderState: Sendable {
        var breaker: CircuitBreaker
        var window: RateWindow
        /// Provider-level probes (the models endpoint) only: a model's failures are its target's.
        var health = HealthTracker()
        var authFailure: String?
        var quotaUntil: ContinuousClock.Instant?
        var disabledByAdmin = false
    }

    struct Storage {
        var targets: [Key: TargetState] = [:]
        var providers: [String: ProviderState] = [:]
        var policies: [String: ProviderPolicy] = [:]

        func policy(_ provider: String) -> ProviderPolicy {
            self.policies[provider] ?? ProviderPolicy()
        }

        /// Creates the states of a target and its provider on first use. Callers then mutate them in place
        /// (`&storage.targets[key]!`): copying a state out and back would copy its sample arrays on every request.
        mutating func ensure(_ key: Key) {
            if self.targets[key] == nil {
                self.targets[key] = TargetState(
                    breaker: CircuitBreaker(configuration: self.policy(key.provider).breaker), window: RateWindow()
                )
            }
            if self.providers[key.provider] == nil { self.ensureProvider(key.provider) }
        }

        mutating func ensureProvider(_ name: String) {
            guard self.providers[name] == nil else { return }
            let policy = self.policy(name)
            self.providers[name] = ProviderState(
                breaker: CircuitBreaker(configuration: policy.breaker), window: RateWindow(limits: policy.limits)
            )
        }

        /// The view routing takes of a target. `window.check` only rolls the windows forward.
        mutating func view(of target: TargetRef, tokens: Int, at now: ContinuousClock.Instant) -> TargetView {
            let key = Key(target)
            var view = TargetView()
            let providerBreaker: CircuitBreaker
            if self.providers[target.provider] != nil {
                // In place: a copy out and back would copy the window's buckets on every request.
                if case .wait(let wait) = self.providers[target.provider]!.window.check(tokens: tokens, at: now) {
                    view.windowWait = wait
                }
                let provider = self.providers[target.provider]!
                view.adminDisabled = provider.disabledByAdmin
                view.authFailure = provider.authFailure
                view.quotaUntil = provider.quotaUntil
                providerBreaker = provider.breaker
            } else {
                providerBreaker = CircuitBreaker()
            }
            if self.targets[key] != nil {
                // The in-place check first: a copy held meanwhile would make it copy the buckets.
                if case .wait(let wait) = self.targets[key]!.window.check(tokens: tokens, at: now) {
                    view.windowWait = max(view.windowWait ?? .zero, wait)
                }
                view.dailyQuotaUntil = self.targets[key]!.dailyQuotaUntil
                view.breaker = BreakerPair.view(provider: providerBreaker, target: self.targets[key]!.breaker, at: now)
                view.latencyEWMA = self.targets[key]!.health.latencyEWMA
            } else {
                view.breaker = BreakerPair.view(provider: providerBreaker, target: CircuitBreaker(), at: now)
            }
            return view
        }
    }

    /// What the shell says at the moment of sending.
    enum Admission: Sendable, Equatable {
        case go(probe: Bool)
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

    init(events: EventBus, logger: Logger) {
        self.events = events
        self.logger = logger
    }

    // MARK: - Configuration

    /// Takes the policies of a configuration (at start and on every reload): every existing breaker and rate
    /// window runs on the new settings at once; counts that still make sense (rolling windows, latency samples,
    /// open breakers) are kept. A reload also forgets auth failures: the key may have been fixed.
    func configure(policies: [String: ProviderPolicy], reloaded: Bool) {
        self.storage.withLockedValue { storage in
            storage.policies = policies
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
            storage.ensure(key)
            var view = storage.view(of: target, tokens: tokens, at: now)
            if forcedProbe { view.breaker = .admits }
            switch RoutingPlanner.verdict(for: target, in: table, view: view, promptTokens: nil, at: now) {
            case .skipped(let reason):
                return .skip(reason)
            case .eligible(let wait?):
                return .wait(wait)
            case .eligible(nil):
                break
            }
            let probe: Bool
            if forcedProbe {
                BreakerPair.forceProbe(target: &storage.targets[key]!.breaker, transitions: &transitions)
                probe = true
            } else {
                // Two different stored properties: both may be mutated in place at once.
                switch BreakerPair.admit(
                    provider: &storage.providers[key.provider]!.breaker, target: &storage.targets[key]!.breaker,
                    at: now, transitions: &transitions
                ) {
                case .reject(let until): return .skip(until > now ? .breakerOpen(until: until) : .breakerProbing)
                case .probe: probe = true
                case .permit: probe = false
                }
            }
            storage.targets[key]!.window.recordRequest(tokens: tokens, at: now)
            storage.providers[key.provider]!.window.recordRequest(tokens: tokens, at: now)
            return .go(probe: probe)
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
        let now = outcome.ended
        let (feedback, status) = self.storage.withLockedValue { storage -> (Feedback, StatusChange?) in
            storage.ensure(key)
            let policy = storage.policy(key.provider)
            Self.apply(
                outcome, provider: &storage.providers[key.provider]!, target: &storage.targets[key]!, policy: policy,
                transitions: &transitions
            )
            let provider = storage.providers[key.provider]!
            let feedback = Feedback(
                breakerAdmits: BreakerPair.admitsRetry(
                    provider: provider.breaker, target: storage.targets[key]!.breaker, at: now
                )
            )
            return (feedback, Self.refreshStatus(&storage, key: key, at: now))
        }
        self.announce(transitions, target: outcome.target)
        if let status { self.announce(status, target: outcome.target) }
        return feedback
    }

    private static func apply(
        _ outcome: AttemptOutcome,
        provider: inout ProviderState,
        target state: inout TargetState,
        policy: ProviderPolicy,
        transitions: inout [BreakerPair.ScopedTransition]
    ) {
        let now = outcome.ended
        switch outcome.result {
        case .abandoned:
            BreakerPair.abandoned(provider: &provider.breaker, target: &state.breaker)
        case .answered(let answer):
            BreakerPair.succeeded(provider: &provider.breaker, target: &state.breaker, at: now, transitions: &transitions)
            state.health.recordSuccess(latency: answer.latency, at: now)
            if let actual = answer.totalTokens {
                state.window.correctTokens(estimated: outcome.estimatedTokens, actual: actual, at: now)
                provider.window.correctTokens(estimated: outcome.estimatedTokens, actual: actual, at: now)
            }
            state.window.learn(answer.rateLimits, at: now)
            provider.authFailure = nil
        case .failed(let failure):
            let error = failure.error
            state.health.recordFailure("\(failure.reason): \(error.message)", at: now)
            if let limits = error.rateLimits { state.window.learn(limits, at: now) }
            let effect = failure.disposition.breaker
            BreakerPair.failed(
                provider: &provider.breaker, target: &state.breaker, effect: effect, reason: failure.reason, at: now,
                transitions: &transitions
            )
            switch effect {
            case .rateLimited:
                state.window.rateLimited(retryAfter: error.hints.retryAfter, fallback: .seconds(1), at: now)
            case .providerAuth:
                provider.authFailure = error.message
            case .providerQuota:
                provider.quotaUntil = now + policy.quotaCooldown
            case .targetCooldown:
                state.dailyQuotaUntil = now + (error.hints.quotaResetAfter ?? policy.quotaCooldown)
            case .none, .countTarget, .countProvider:
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
        guard storage.targets[key] != nil, let provider = storage.providers[key.provider] else { return nil }
        let policy = storage.policy(key.provider)
        let (status, reason) = Self.targetStatus(
            &storage.targets[key]!, provider: provider, enabled: true, at: now, policy: policy
        )
        let previous = storage.targets[key]!.status
        storage.targets[key]!.status = status
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
                "from": .string(change.from.rawValue), "to": .string(change.to.rawValue), "reason": .string(change.reason),
            ]
        )
    }

    func announce(_ transitions: [BreakerPair.ScopedTransition], target: TargetRef) {
        for scoped in transitions {
            self.announce(breaker: scoped.transition, provider: target.provider, model: scoped.scope == .target ? target.model : nil)
        }
    }

    func announce(breaker transition: CircuitBreaker.Transition, provider: String, model: String?) {
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
}
