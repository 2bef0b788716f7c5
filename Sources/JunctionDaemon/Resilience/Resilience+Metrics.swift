import JunctionCore

/// What the metrics exporter reads at scrape time: every target's breaker, every configured provider's status, and
/// how much of each provider's rate limits is used. Read in one lock, as `providers.health` reads it.
extension Resilience {
    /// The resilience state the exporter mirrors.
    struct MetricsState: Sendable, Equatable {
        /// One target's breaker.
        struct Breaker: Sendable, Equatable {
            var provider: String
            var model: String
            /// 0 closed, 1 half-open, 2 open.
            var state: Int
        }

        /// The used share of one of a provider's rate limits.
        struct Window: Sendable, Equatable {
            var provider: String
            /// `rpm`, `tpm`, `rpd` (configured limits) or `learned_requests`, `learned_tokens` (the provider's
            /// rate-limit headers, the most used of its targets as last reported).
            var window: String
            var ratio: Double
        }

        var breakers: [Breaker] = []
        var statuses: [(provider: String, status: HealthTracker.Status)] = []
        var windows: [Window] = []

        static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.breakers == rhs.breakers && lhs.windows == rhs.windows
                && lhs.statuses.map(\.provider) == rhs.statuses.map(\.provider)
                && lhs.statuses.map(\.status) == rhs.statuses.map(\.status)
        }
    }

    /// Every target's breaker and every configured provider's status and windows now, in one lock.
    func metricsState(registry: ProviderRegistry, at now: ContinuousClock.Instant = .now) -> MetricsState {
        self.storage.withLockedValue { storage in
            var state = MetricsState()
            for provider in registry.providers {
                let name = provider.name
                let policy = storage.policy(name)
                storage.ensureProvider(name)
                var providerState = storage.providers[name]!
                var statuses: [HealthTracker.Status] = []
                var learnedRequests: Double?
                var learnedTokens: Double?
                // The keys first: writing a target back while iterating the dictionary would copy it.
                for key in storage.targets.keys.filter({ $0.provider == name }) {
                    var target = storage.targets[key]!
                    let (status, _) = Self.targetStatus(
                        &target, provider: providerState, enabled: provider.config.enabled, at: now, policy: policy
                    )
                    statuses.append(status)
                    state.breakers.append(.init(provider: name, model: key.model, state: Self.code(target.breaker)))
                    if let learned = target.window.learned {
                        let requests = Self.usedRatio(
                            limit: learned.requestsLimit, remaining: learned.requestsRemaining)
                        let tokens = Self.usedRatio(limit: learned.tokensLimit, remaining: learned.tokensRemaining)
                        if let requests { learnedRequests = max(learnedRequests ?? 0, requests) }
                        if let tokens { learnedTokens = max(learnedTokens ?? 0, tokens) }
                    }
                    storage.targets[key] = target
                }
                let status = Self.providerStatus(
                    &providerState, targets: statuses, enabled: provider.config.enabled, at: now
                )
                state.statuses.append((name, status.0))
                let usage = providerState.window.usage(at: now)
                let limits = providerState.window.limits
                for (window, used, limit) in [
                    ("rpm", usage.requests, limits.requestsPerMinute), ("tpm", usage.tokens, limits.tokensPerMinute),
                    ("rpd", usage.requestsToday, limits.requestsPerDay),
                ] {
                    guard let limit, limit > 0 else { continue }
                    state.windows.append(.init(provider: name, window: window, ratio: Double(used) / Double(limit)))
                }
                if let learnedRequests {
                    state.windows.append(.init(provider: name, window: "learned_requests", ratio: learnedRequests))
                }
                if let learnedTokens {
                    state.windows.append(.init(provider: name, window: "learned_tokens", ratio: learnedTokens))
                }
                storage.providers[name] = providerState
            }
            return state
        }
    }

    private static func code(_ breaker: CircuitBreaker) -> Int {
        switch breaker.state {
        case .closed: 0
        case .halfOpen: 1
        case .open: 2
        }
    }

    private static func usedRatio(limit: Int?, remaining: Int?) -> Double? {
        guard let limit, let remaining, limit > 0 else { return nil }
        return Double(max(0, limit - remaining)) / Double(limit)
    }
}
