import JunctionCore

/// Health probes and the admin methods' effects on the resilience state.
extension Resilience {
    /// A health probe ended. A provider-level probe (`target` nil: the models endpoint) counts toward the
    /// provider; a 1-token generate counts toward its target. A success clears what it disproves: an auth
    /// failure, the quota cooldown, the daily quota mark, an open breaker.
    func probeFinished(
        _ target: TargetRef?,
        provider name: String,
        ok: Bool,
        latency: Duration,
        detail: String,
        at now: ContinuousClock.Instant = .now
    ) {
        var transitions: [(String?, CircuitBreaker.Transition)] = []
        let change = self.storage.withLockedValue { storage -> StatusChange? in
            storage.ensureProvider(name)
            if ok {
                storage.providers[name]!.authFailure = nil
                storage.providers[name]!.quotaUntil = nil
                if let transition = storage.providers[name]!.breaker.reset(reason: "health probe succeeded") {
                    transitions.append((nil, transition))
                }
            }
            guard let target else {
                storage.providers[name]!.health.recordProbe(ok: ok, latency: latency, detail: detail, at: now)
                return nil
            }
            let key = Key(target)
            // A probe is not a use: it keeps no forgotten dynamic target alive, nor brings one back.
            if storage.isDynamic(key) {
                guard storage.targets[key] != nil else { return nil }
            } else if storage.targets[key] == nil {
                _ = storage.slots(key, usedAt: now)
            }
            storage.targets[key]!.health.recordProbe(ok: ok, latency: latency, detail: detail, at: now)
            if ok {
                storage.targets[key]!.dailyQuotaUntil = nil
                if let transition = storage.targets[key]!.breaker.reset(reason: "health probe succeeded") {
                    transitions.append((target.model, transition))
                }
            }
            return Self.refreshStatus(&storage, key: key, at: now)
        }
        for (model, transition) in transitions { self.announce(breaker: transition, provider: name, model: model) }
        if let change, let target { self.announce(change, target: target) }
    }

    /// Targets whose breaker is open or half-open now (the health monitor probes them): configured targets, and
    /// dynamic ones a request used within the idle expiry. Idle dynamic targets are never probed, so a flood of
    /// failing model names stops costing upstream calls once the names stop being used.
    func openTargets(at now: ContinuousClock.Instant = .now) -> [TargetRef] {
        self.storage.withLockedValue { storage in
            storage.targets.compactMap { key, state in
                if storage.isDynamic(key), !storage.retention.isRecent(key, at: now) { return nil }
                switch state.breaker.state {
                case .open, .halfOpen: return TargetRef(provider: key.provider, model: key.model)
                case .closed: return nil
                }
            }
        }
    }

    /// Forgets the dynamic targets idle for `resilience.dynamic_target_idle_expiry` whose state holds nothing that
    /// must outlive it (see `TargetRetention`); returns how many (the health monitor calls this on every turn).
    @discardableResult
    func forgetIdleTargets(at now: ContinuousClock.Instant = .now) -> Int {
        self.storage.withLockedValue { $0.forgetIdleTargets(at: now) }
    }

    /// How many dynamic targets have state now.
    var dynamicTargetCount: Int {
        self.storage.withLockedValue { $0.retention.count }
    }

    /// Closes breakers by hand; returns how many were open.
    func resetBreakers(provider name: String, model: String?) -> Int {
        var transitions: [(String?, CircuitBreaker.Transition)] = []
        self.storage.withLockedValue { storage in
            if model == nil, let transition = storage.providers[name]?.breaker.reset(reason: "reset by admin") {
                transitions.append((nil, transition))
            }
            for key in storage.targets.keys where key.provider == name && (model == nil || key.model == model) {
                if let transition = storage.targets[key]?.breaker.reset(reason: "reset by admin") {
                    transitions.append((key.model, transition))
                }
            }
        }
        for (model, transition) in transitions { self.announce(breaker: transition, provider: name, model: model) }
        return transitions.count
    }

    func setDisabled(provider name: String, _ disabled: Bool) {
        self.storage.withLockedValue { storage in
            storage.ensureProvider(name)
            storage.providers[name]!.disabledByAdmin = disabled
        }
        self.logger.notice("provider \(disabled ? "disabled" : "enabled") by admin", metadata: ["provider": "\(name)"])
    }

    /// Providers disabled with `admin.provider.disable` (until enabled again or the daemon restarts).
    func adminDisabledProviders() -> Set<String> {
        self.storage.withLockedValue { storage in
            Set(storage.providers.filter { $0.value.disabledByAdmin }.map(\.key))
        }
    }
}
