import JunctionCore

/// The resilience shell in a fleet (`[shared]`): what this daemon decides — a breaker opened or closed by a
/// probe, a 429's block, a spent quota — is published; what another daemon published is adopted here. An adopted
/// open breaker stays open one interval longer than the publisher's, so that the publisher's probe decides first
/// and a down provider sees one probe per interval from the whole fleet, not one per daemon; the publisher's
/// close (or its next open) then reaches every daemon within milliseconds.
extension Resilience {
    /// Adopts another daemon's mark.
    func adopt(_ mark: SharedMark, at now: ContinuousClock.Instant = .now) {
        let reason = mark.reason.isEmpty ? mark.kind.rawValue : mark.reason
        var transitions: [(model: String?, transition: CircuitBreaker.Transition)] = []
        self.storage.withLockedValue { storage in
            let provider = storage.ensureProvider(mark.provider)
            let target: Dictionary<Key, TargetState>.Index? = mark.model.map { model in
                storage.slots(Key(TargetRef(provider: mark.provider, model: model)), usedAt: now).target
            }
            let until = now + mark.duration
            // The mark's breaker (the target's, or the provider's when it names no model), changed in place.
            func breaker(_ change: (inout CircuitBreaker) -> CircuitBreaker.Transition?) {
                if let target {
                    if let made = change(&storage.targets.values[target].breaker) {
                        transitions.append((mark.model, made))
                    }
                } else if let made = change(&storage.providers.values[provider].breaker) {
                    transitions.append((nil, made))
                }
            }
            switch mark.kind {
            case .open:
                // One more interval: the publisher's probe goes first.
                let held = until + mark.duration
                breaker { $0.adoptOpen(until: held, reason: reason, at: now) }
            case .closed:
                breaker { $0.adoptClosed(reason: reason) }
            case .blocked:
                if let target {
                    storage.targets.values[target].window.rateLimited(
                        retryAfter: mark.duration, fallback: .zero, at: now
                    )
                } else {
                    storage.providers.values[provider].window.rateLimited(
                        retryAfter: mark.duration, fallback: .zero, at: now
                    )
                }
            case .quota:
                if let target {
                    let current = storage.targets.values[target].dailyQuotaUntil
                    storage.targets.values[target].dailyQuotaUntil = max(current ?? until, until)
                } else {
                    let current = storage.providers.values[provider].quotaUntil
                    storage.providers.values[provider].quotaUntil = max(current ?? until, until)
                }
            }
            if let model = mark.model {
                storage.updateHold(Key(TargetRef(provider: mark.provider, model: model)), at: now)
            }
        }
        for (model, transition) in transitions {
            self.announce(breaker: transition, provider: mark.provider, model: model)
        }
    }

    /// Publishes a breaker transition this daemon decided (adopted ones are not sent back).
    func publish(breaker transition: CircuitBreaker.Transition, provider: String, model: String?) {
        guard let shared = self.shared, !transition.reason.hasPrefix("adopted from the fleet") else { return }
        if transition.to == "open" {
            let now = ContinuousClock.now
            let remaining: Duration? = self.storage.withLockedValue { storage in
                let breaker: CircuitBreaker?
                if let model {
                    breaker = storage.targets[Key(TargetRef(provider: provider, model: model))]?.breaker
                } else {
                    breaker = storage.providers[provider]?.breaker
                }
                guard case .open(_, let until) = breaker?.state, until > now else { return nil }
                return until - now
            }
            guard let remaining else { return }
            shared.publish(
                SharedMark(
                    kind: .open, provider: provider, model: model, duration: remaining, reason: transition.reason
                )
            )
        } else if transition.to == "closed" {
            shared.publish(
                SharedMark(kind: .closed, provider: provider, model: model, duration: .zero, reason: transition.reason)
            )
        }
    }

    /// Publishes the blocks and cooldowns an attempt's failure set here.
    func publish(_ marks: [SharedMark]) {
        guard let shared = self.shared else { return }
        for mark in marks { shared.publish(mark) }
    }
}

extension Resilience {
    /// The blocks and cooldowns an attempt sets (as `record` applies them), for the fleet: a failure's 429 block
    /// or quota cooldown, or an answer whose rate-limit headers say nothing is left until the reset.
    static func marks(of outcome: AttemptOutcome, policy: ProviderPolicy) -> [SharedMark] {
        if case .answered(let answer) = outcome.result {
            return Self.exhausted(answer.rateLimits).map { reset in
                [
                    SharedMark(
                        kind: .blocked, provider: outcome.target.provider, model: outcome.target.model, duration: reset,
                        reason: "the provider reported no requests or tokens left until the reset"
                    )
                ]
            } ?? []
        }
        guard case .failed(let failure) = outcome.result else { return [] }
        let error = failure.error
        let reason = "\(failure.reason): \(error.message)"
        let target = outcome.target
        switch failure.disposition.breaker {
        case .rateLimited:
            return [
                SharedMark(
                    kind: .blocked, provider: target.provider, model: target.model,
                    duration: error.hints.retryAfter ?? .seconds(1), reason: reason
                )
            ]
        case .providerQuota:
            return [
                SharedMark(
                    kind: .quota, provider: target.provider, model: nil, duration: policy.quotaCooldown, reason: reason
                )
            ]
        case .targetCooldown:
            return [
                SharedMark(
                    kind: .quota, provider: target.provider, model: target.model,
                    duration: error.hints.quotaResetAfter ?? policy.quotaCooldown, reason: reason
                )
            ]
        case .none, .countTarget, .countProvider, .local, .providerAuth:
            return []
        }
    }

    /// How long a snapshot with nothing left blocks (as `RateWindow.learn` reads it); nil when something is left.
    static func exhausted(_ limits: RateLimitSnapshot) -> Duration? {
        var until: Duration?
        if limits.requestsRemaining == 0, let reset = limits.requestsReset { until = reset }
        if limits.tokensRemaining == 0, let reset = limits.tokensReset { until = max(until ?? reset, reset) }
        return until.flatMap { $0 > .zero ? $0 : nil }
    }

    /// What the fleet's token window must add for `outcome`: the real count minus the estimate counted at
    /// admission (all of it given back when a failure generated nothing; an abandoned attempt may have).
    static func tokenCorrection(_ outcome: AttemptOutcome) -> Int {
        switch outcome.result {
        case .answered(let answer): (answer.totalTokens ?? outcome.estimatedTokens) - outcome.estimatedTokens
        case .failed: -outcome.estimatedTokens
        case .abandoned: 0
        }
    }
}

extension Resilience {
    /// `daemon.status`'s `shared`: the fleet state's health (`connected`, `degraded_local`, `disabled`).
    var sharedStatus: JSONValue {
        guard let shared = self.shared else { return ["state": "disabled"] }
        let health = shared.health
        return [
            "state": .string(health.state.rawValue),
            "redis": health.endpoint.map(JSONValue.string) ?? .null,
            "last_error": health.lastError.map(JSONValue.string) ?? .null,
            "outage_since_ms": health.outageSince.map { .int(Int($0)) } ?? .null,
            "degraded_for_ms": health.outageSince.map { .int(max(0, Int(WallClock.nowMilliseconds() - $0))) } ?? .null,
            "outage_ms": .int(Int(health.outageMilliseconds)),
            "subscribed": .bool((shared as? RedisSharedState)?.isSubscribed ?? false),
            "operations": .int(health.operations),
            "succeeded": .int(health.succeeded),
            "failures": .int(health.failures),
            "timeouts": .int(health.timeouts),
            "round_trips": .int(health.batches),
            "commands": .int(health.commands),
            "pending_settlements": .int((shared as? RedisSharedState)?.pendingSettlements ?? 0),
            "largest_pipeline": .int(health.largestBatch),
            "breaker": .string(health.breaker),
        ]
    }
}
