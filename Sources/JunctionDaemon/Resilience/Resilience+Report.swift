import JunctionCore

/// `providers.health`: what each provider and each target seen is doing, and why.
extension Resilience {
    /// Every provider and each target seen, with status, breaker, latency, errors, windows. A provider's status
    /// is the provider's own (disabled, key, quota, connection breaker, its models-endpoint probes) combined
    /// with its targets'; a target's status is the target's.
    func report(registry: ProviderRegistry, at now: ContinuousClock.Instant) -> JSONValue {
        self.storage.withLockedValue { storage in
            var providers: [JSONValue] = []
            for provider in registry.providers {
                let policy = storage.policy(provider.name)
                storage.ensureProvider(provider.name)
                let state = storage.providers[provider.name]!
                var targets: [JSONValue] = []
                var statuses: [HealthTracker.Status] = []
                var requests = 0
                var failures = 0.0
                let keys = storage.targets.keys.filter { $0.provider == provider.name }.sorted { $0.model < $1.model }
                for key in keys {
                    var target = storage.targets[key]!
                    let (targetStatus, reason) = Self.targetStatus(
                        &target, provider: state, enabled: provider.config.enabled, at: now, policy: policy
                    )
                    statuses.append(targetStatus)
                    let (rate, count) = target.health.errorRate(at: now)
                    requests += count
                    failures += rate * Double(count)
                    var object = Self.describe(
                        breaker: target.breaker, health: &target.health, window: &target.window, policy: policy, at: now
                    )
                    object["model"] = .string(key.model)
                    object["status"] = .string(targetStatus.rawValue)
                    object["reason"] = .string(reason)
                    if let until = target.dailyQuotaUntil, until > now {
                        object["daily_quota_resets_in_ms"] = .int((until - now).milliseconds)
                    }
                    targets.append(.object(object))
                    storage.targets[key] = target
                }
                var providerState = state
                let status = Self.providerStatus(
                    &providerState, targets: statuses, enabled: provider.config.enabled, at: now
                )
                var object = Self.describe(
                    breaker: providerState.breaker, health: &providerState.health, window: &providerState.window,
                    policy: policy, at: now
                )
                // The provider's traffic is its targets' traffic (its own tracker holds only provider-level probes).
                object["requests_last_minute"] = .int(requests)
                let rate = requests == 0 ? 0 : failures / Double(requests)
                object["error_rate"] = .double((rate * 1000).rounded() / 1000)
                object["provider"] = .string(provider.name)
                object["kind"] = .string(provider.config.kind.rawValue)
                object["enabled"] = .bool(provider.config.enabled && !providerState.disabledByAdmin)
                object["disabled_by_admin"] = .bool(providerState.disabledByAdmin)
                object["status"] = .string(status.0.rawValue)
                object["reason"] = .string(status.1)
                object["targets"] = .array(targets)
                if let until = providerState.quotaUntil, until > now {
                    object["quota_cooldown_ms"] = .int((until - now).milliseconds)
                }
                providers.append(.object(object))
                storage.providers[provider.name] = providerState
            }
            return ["providers": .array(providers), "minimum_sample": .int(HealthTracker.minimumSample)]
        }
    }

    private static func describe(
        breaker: CircuitBreaker,
        health: inout HealthTracker,
        window: inout RateWindow,
        policy: ProviderPolicy,
        at now: ContinuousClock.Instant
    ) -> JSONObject {
        var breakerObject: JSONObject = [
            "state": .string(breaker.state.name), "consecutive_failures": .int(breaker.consecutiveFailures),
        ]
        if case .open(let since, let until) = breaker.state {
            // `open_for_ms` is what is left of the open interval; once it is over the breaker stays open until a
            // probe succeeds, so say how long it has been open and when the next probe is due.
            breakerObject["open_for_ms"] = .int(max(0, (until - now).milliseconds))
            breakerObject["open_since_ms"] = .int((now - since).milliseconds)
            // The health monitor probes an open target every `openProbeInterval` from its opening, and a request
            // may probe once the interval is over: whichever comes first.
            var lastProbeOrOpening = since
            if let probe = health.lastProbe, probe.at > since { lastProbeOrOpening = probe.at }
            let nextProbe = min(until, lastProbeOrOpening + policy.health.openProbeInterval)
            breakerObject["next_probe_in_ms"] = .int(max(0, (nextProbe - now).milliseconds))
        }
        let (rate, requests) = health.errorRate(at: now)
        var latency = JSONObject()
        for (name, percentile) in [("p50", 50.0), ("p95", 95.0), ("p99", 99.0)] {
            latency[name] = health.latency(percentile: percentile).map { .int($0) } ?? .null
        }
        let usage = window.usage(at: now)
        var windowObject: JSONObject = [
            "requests_last_minute": .int(usage.requests), "tokens_last_minute": .int(usage.tokens),
            "requests_today": .int(usage.requestsToday),
            "rpm_limit": window.limits.requestsPerMinute.map { .int($0) } ?? .null,
            "tpm_limit": window.limits.tokensPerMinute.map { .int($0) } ?? .null,
            "rpd_limit": window.limits.requestsPerDay.map { .int($0) } ?? .null,
        ]
        if let learned = window.learned { windowObject["learned"] = learned.json }
        if let blocked = window.blockedUntil, blocked > now {
            windowObject["blocked_for_ms"] = .int((blocked - now).milliseconds)
        }
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
                "ok": .bool(probe.ok), "ago_ms": .int((now - probe.at).milliseconds),
                "latency_ms": .int(probe.latency.milliseconds),
                "detail": .string(probe.detail),
            ]
        }
        return object
    }

    /// The provider's own state first; then what its targets say: unhealthy when every target with data is, degraded
    /// when some are not healthy, no data when none has data and no provider probe answered.
    static func providerStatus(
        _ state: inout ProviderState,
        targets: [HealthTracker.Status],
        enabled: Bool,
        at now: ContinuousClock.Instant
    ) -> (HealthTracker.Status, String) {
        if !enabled || state.disabledByAdmin {
            return (.disabled, state.disabledByAdmin ? "disabled by admin" : "disabled in the configuration")
        }
        if state.authFailure != nil { return (.unhealthy, "authentication failed") }
        if let until = state.quotaUntil, until > now {
            return (.unhealthy, "quota exhausted")
        }
        if case .open = state.breaker.state { return (.unhealthy, "connection failing; circuit breaker open") }
        if state.health.consecutiveProbeFailures >= 2 { return (.unhealthy, "health probes failing") }
        if state.window.isBlocked(at: now) { return (.rateLimited, "rate limited") }
        let judged = targets.filter { $0 != .noData && $0 != .disabled }
        guard !judged.isEmpty else {
            if let probe = state.health.lastProbe, probe.ok { return (.healthy, "health probe ok") }
            return (.noData, "no data yet")
        }
        let unhealthy = judged.filter { $0 == .unhealthy }.count
        if unhealthy == judged.count { return (.unhealthy, "every model with data is unhealthy") }
        let notHealthy = judged.filter { $0 != .healthy }.count
        if notHealthy > 0 { return (.degraded, "\(notHealthy) of \(judged.count) models not healthy") }
        return (.healthy, "ok")
    }

    static func targetStatus(
        _ state: inout TargetState,
        provider: ProviderState,
        enabled: Bool,
        at now: ContinuousClock.Instant,
        policy: ProviderPolicy
    ) -> (HealthTracker.Status, String) {
        if let until = provider.quotaUntil, until > now { return (.unhealthy, "quota exhausted") }
        if let until = state.dailyQuotaUntil, until > now {
            return (.unhealthy, "daily quota spent; resets in \(DurationText.approximate(until - now))")
        }
        let open: Bool = if case .open = state.breaker.state { true } else { false }
        return state.health.status(
            at: now, disabled: !enabled || provider.disabledByAdmin, breakerOpen: open,
            authFailed: provider.authFailure != nil, rateLimited: state.window.isBlocked(at: now),
            slowThreshold: policy.health.slowThreshold
        )
    }
}
