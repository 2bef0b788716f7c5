/// Turns (routing table, request, resilience snapshot) into a `RoutingPlan`. Pure: the snapshot, the random
/// draw for load sharing and the instant are passed in. This is the one place where targets are filtered.
public enum RoutingPlanner {
    /// The candidate targets for `selection`, in order, as groups: the implicit default route shares the load
    /// within each group of equal priority; every other selection is one group per target.
    ///
    /// - Throws: `RoutingError` for an unknown route or model, or when nothing is configured.
    public static func candidates(
        _ table: RoutingTable,
        for selection: RouteSelection
    ) throws(RoutingError) -> [[TargetRef]] {
        switch selection {
        case .route(let name):
            guard let route = table.routes.first(where: { $0.name == name }) else {
                let known = table.routes.map(\.name).joined(separator: ", ")
                throw RoutingError(
                    .invalidField("route"),
                    "names no configured route (configured: \(known.isEmpty ? "none" : known))"
                )
            }
            return try self.nonEmpty(route.targets.map { [$0] }, what: "route \"\(name)\"")
        case .model(let model):
            if let target = TargetRef(model), table.provider(named: target.provider) != nil {
                return [[target]]
            }
            // A bare model id: every provider that lists it, by priority; else a route of that name.
            let listing = table.providers.enumerated()
                .filter { $0.element.models.contains(model) }
                .sorted { ($0.element.priority, $0.offset) < ($1.element.priority, $1.offset) }
                .map { [TargetRef(provider: $0.element.name, model: model)] }
            if !listing.isEmpty { return listing }
            if let route = table.routes.first(where: { $0.name == model }) {
                return try self.nonEmpty(route.targets.map { [$0] }, what: "route \"\(model)\"")
            }
            throw RoutingError(
                .invalidField("model"),
                "\"\(model)\" is neither \"provider:model\" with a configured provider nor a model listed in the "
                    + "configuration"
            )
        case .automatic:
            if let route = table.routes.first(where: { $0.name == "default" }) {
                return try self.nonEmpty(route.targets.map { [$0] }, what: "the default route")
            }
            let priorities = Set(table.providers.map(\.priority)).sorted()
            let groups = priorities.map { priority in
                table.providers.filter { $0.priority == priority }.compactMap { provider in
                    provider.defaultModel.map { TargetRef(provider: provider.name, model: $0) }
                }
            }.filter { !$0.isEmpty }
            return try self.nonEmpty(groups, what: "the default route")
        }
    }

    /// The plan for a request: every candidate with its verdict, load shared within groups.
    ///
    /// - Parameters:
    ///   - promptTokens: the prompt's estimated size; targets whose configured window is smaller are skipped.
    ///   - views: the resilience state of each candidate (taken in one lock by the shell).
    ///   - random: uniform in [0, 1), for the weighted draw of load sharing.
    public static func plan(
        _ table: RoutingTable,
        candidates groups: [[TargetRef]],
        promptTokens: Int?,
        views: [TargetRef: TargetView],
        random: () -> Double,
        at now: ContinuousClock.Instant
    ) -> RoutingPlan {
        var entries: [RoutingPlan.Entry] = []
        for group in groups {
            var judged = group.map { target in
                RoutingPlan.Entry(
                    target: target,
                    verdict: self.verdict(
                        for: target, in: table, view: views[target] ?? TargetView(), promptTokens: promptTokens, at: now
                    )
                )
            }
            if judged.count > 1 {
                judged = self.shareLoad(judged, table: table, views: views, random: random)
            }
            entries += judged
        }
        var plan = RoutingPlan(entries: entries)
        let skipped = plan.skipped
        if !skipped.isEmpty, skipped.count == entries.count, skipped.allSatisfy({ $0.reason.isBreaker }) {
            plan.allOpenFallback = skipped.min { first, second in
                self.openedAt(views[first.target]) < self.openedAt(views[second.target])
            }?.target
        }
        return plan
    }

    /// The verdict for one target: the same rules at planning and at admission, so that they cannot disagree.
    public static func verdict(
        for target: TargetRef,
        in table: RoutingTable,
        view: TargetView,
        promptTokens: Int?,
        minimumContext: Int? = nil,
        at now: ContinuousClock.Instant
    ) -> RoutingPlan.Verdict {
        guard let provider = table.provider(named: target.provider) else { return .skipped(.disabled) }
        if !provider.enabled { return .skipped(.disabled) }
        if view.adminDisabled { return .skipped(.adminDisabled) }
        if let problem = provider.keyProblem { return .skipped(.keyUnavailable(problem)) }
        if let failure = view.authFailure { return .skipped(.authFailed(failure)) }
        if let until = view.quotaUntil, now < until { return .skipped(.quotaCooling(until: until)) }
        if let until = view.dailyQuotaUntil, now < until { return .skipped(.dailyQuota(until: until)) }
        let window = provider.contextWindows[target.model]
        if let minimum = minimumContext, (window ?? 0) <= minimum {
            // After "context length exceeded", only a target with a larger window can help.
            return .skipped(.contextWindowTooSmall(window: window, needed: minimum))
        }
        if let window, let promptTokens, window < promptTokens {
            return .skipped(.contextWindowTooSmall(window: window, needed: promptTokens))
        }
        switch view.breaker {
        case .open(_, let until): return .skipped(.breakerOpen(until: until))
        case .probing: return .skipped(.breakerProbing)
        case .admits: break
        }
        if let wait = view.windowWait, wait > provider.maxQueueWait { return .skipped(.noWindowRoom(wait: wait)) }
        return .eligible(windowWait: view.windowWait)
    }

    /// Orders one group of equal priority: eligible targets first, by a weighted random draw where each weight is
    /// scaled by speed (the lowest latency EWMA counts fully, a target twice as slow half); skipped ones after.
    static func shareLoad(
        _ entries: [RoutingPlan.Entry],
        table: RoutingTable,
        views: [TargetRef: TargetView],
        random: () -> Double
    ) -> [RoutingPlan.Entry] {
        let eligible = entries.filter(\.isEligible)
        let ordered = LoadSharing.order(
            eligible.map(\.target),
            weights: eligible.map { table.provider(named: $0.target.provider)?.weight ?? 1 },
            latencies: eligible.map { views[$0.target]?.latencyEWMA },
            random: random
        )
        let byTarget = Dictionary(eligible.map { ($0.target, $0) }, uniquingKeysWith: { first, _ in first })
        return ordered.compactMap { byTarget[$0] } + entries.filter { !$0.isEligible }
    }

    private static func openedAt(_ view: TargetView?) -> ContinuousClock.Instant? {
        if case .open(let since, _) = view?.breaker { since } else { nil }
    }

    private static func nonEmpty(_ groups: [[TargetRef]], what: String) throws(RoutingError) -> [[TargetRef]] {
        guard groups.contains(where: { !$0.isEmpty }) else {
            throw RoutingError(
                .nothingConfigured,
                "No provider could answer: \(what) has no target (configure providers or set an API key variable)"
            )
        }
        return groups
    }
}

extension Optional where Wrapped == ContinuousClock.Instant {
    /// nil sorts last: a target never opened has not been open longest.
    fileprivate static func < (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (let a?, let b?): a < b
        case (.some, nil): true
        default: false
        }
    }
}
