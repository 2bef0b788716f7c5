import JunctionCore

/// `stats.snapshot` and `GET /api/stats`: one JSON object from in-memory state only (no SQLite), composed from the
/// stats collector and the shells that already answer `daemon.status`, `providers.health`, `cache.stats` and
/// `quota.get`, reusing their JSON. It carries no per-user data and no secrets.
final class StatsSnapshot: Sendable {
    /// Latency percentiles and error rates cover the last 5 minutes (30 buckets of the ring).
    static let recentBuckets = 30
    /// Requests per second cover the last 6 buckets (50 s plus the part of the current one that has passed).
    static let rateBuckets = 6

    private let runtime: DaemonRuntime
    private let stats: StatsCollector
    private let resilience: Resilience
    private let budgets: Budgets
    private let cache: ResponseCache
    private let flights: @Sendable () -> Int
    private let ledger: LedgerWriter
    private let wallClock: @Sendable () -> Int64

    init(
        runtime: DaemonRuntime,
        stats: StatsCollector,
        resilience: Resilience,
        budgets: Budgets,
        cache: ResponseCache,
        flights: @escaping @Sendable () -> Int,
        ledger: LedgerWriter,
        wallClock: @escaping @Sendable () -> Int64 = LedgerWriter.wallClockMilliseconds
    ) {
        self.runtime = runtime
        self.stats = stats
        self.resilience = resilience
        self.budgets = budgets
        self.cache = cache
        self.flights = flights
        self.ledger = ledger
        self.wallClock = wallClock
    }

    /// The snapshot as a closure, for the HTTP listener's `GET /api/stats`.
    var source: @Sendable () async -> JSONValue { { self.json() } }

    /// The snapshot now. Each shell is read under its own lock, one after the other (never two at once).
    func json() -> JSONValue {
        let now = self.wallClock()
        let registry = self.runtime.active.registry
        let health = self.resilience.report(registry: registry, at: .now)["providers"]?.arrayValue ?? []
        let cache = CacheMethods.encode(self.cache.stats, inFlight: self.flights())
        let budgets = Self.sharedBudgets(self.budgets.status(for: BudgetCaller(uid: 0, gid: 0), all: true))
        let ledger = self.ledger.status.json
        var object: JSONObject = [
            "at_ms": .int(now),
            "version": .string(JunctionVersion.current),
            "uptime_ms": .int(self.runtime.uptime.milliseconds),
            "connections": .int(self.runtime.connectionCount),
            "inflight_requests": .int(self.runtime.inflightCount),
        ]
        self.stats.withBook(at: now) { book in
            let rate = book.daemon.ring.window(buckets: Self.rateBuckets, at: now)
            let span = StatsRing.span(buckets: Self.rateBuckets, at: now)
            object["requests_total"] = .int(book.daemon.requestsTotal)
            object["requests_per_second"] = Self.rounded(Double(rate.requests) * 1_000 / Double(span), places: 3)
            object["errors_total"] = .int(book.daemon.errorsTotal)
            object["cost_today_usd"] = .usd(book.costToday.total)
            object["cache"] = cache
            object["ledger"] = ledger
            object["budgets"] = budgets
            object["feedback"] = Self.feedback(book.feedbackTotal)
            object["window_ms"] = .int(Int64(Self.recentBuckets) * StatsRing.intervalMilliseconds)
            object["providers"] = .array(
                health.compactMap { Self.provider($0, book: &book, at: now) }
            )
            object["series"] = Self.series(providers: registry.providers.map(\.name), book: book, at: now)
            object["failovers"] = .array(book.failovers.recent.map(Self.failover))
        }
        return .object(object)
    }

    // MARK: - Providers and targets

    /// One provider: its health (status, reason, breaker, rate window) and what the stats counted for it.
    private static func provider(_ health: JSONValue, book: inout StatsBook, at now: Int64) -> JSONValue? {
        guard let name = health["provider"]?.stringValue else { return nil }
        let track = book.providers[name] ?? StatsTrack()
        let window = health["rate_window"]
        var object: JSONObject = [
            "provider": .string(name),
            "kind": health["kind"] ?? .null,
            "enabled": health["enabled"] ?? .null,
            "status": health["status"] ?? .null,
            "reason": health["reason"] ?? .null,
            "breaker": Self.breaker(health["breaker"], key: name, book: &book, at: now),
        ]
        Self.add(track, to: &object, at: now)
        object["requests_per_minute"] = window?["requests_last_minute"] ?? .null
        object["rpm_limit"] = window?["rpm_limit"] ?? .null
        object["tokens_per_minute"] = window?["tokens_last_minute"] ?? .null
        object["tpm_limit"] = window?["tpm_limit"] ?? .null
        object["cost_today_usd"] = .usd(book.costToday.cost(ofProvider: name))
        object["feedback"] = Self.feedback(book.feedback(ofProvider: name))
        // The targets health knows (configured and recently used), and any other the stats counted or rated.
        var targets: [String: JSONValue] = [:]
        for target in health["targets"]?.arrayValue ?? [] {
            if let model = target["model"]?.stringValue { targets[model] = target }
        }
        let counted =
            book.targets.keys.filter { $0.provider == name }.map(\.model)
            + book.feedback.keys.filter { $0.provider == name }.map(\.model)
            + book.costToday.byTarget.keys.filter { $0.provider == name }.map(\.model)
        for model in counted where targets[model] == nil { targets[model] = .null }
        object["targets"] = .array(
            targets.keys.sorted().map { model in
                Self.target(
                    TargetRef(provider: name, model: model), health: targets[model] ?? .null, book: &book, at: now)
            }
        )
        return .object(object)
    }

    private static func target(_ target: TargetRef, health: JSONValue, book: inout StatsBook, at now: Int64)
        -> JSONValue
    {
        let window = health["rate_window"]
        var object: JSONObject = [
            "model": .string(target.model),
            "status": health["status"] ?? .null,
            "reason": health["reason"] ?? .null,
            "breaker": Self.breaker(health["breaker"], key: target.description, book: &book, at: now),
        ]
        Self.add(book.targets[target] ?? StatsTrack(), to: &object, at: now)
        object["requests_per_minute"] = window?["requests_last_minute"] ?? .null
        object["tokens_per_minute"] = window?["tokens_last_minute"] ?? .null
        object["cost_today_usd"] = .usd(book.costToday.cost(of: target))
        object["feedback"] = Self.feedback(book.feedback[target] ?? FeedbackTally())
        return .object(object)
    }

    /// Latency percentiles and the error rate of the recent window, and the totals since start.
    private static func add(_ track: StatsTrack, to object: inout JSONObject, at now: Int64) {
        let recent = track.ring.window(buckets: Self.recentBuckets, at: now)
        object["latency_ms"] = [
            "p50": recent.latency.percentile(50).map { .int($0) } ?? .null,
            "p95": recent.latency.percentile(95).map { .int($0) } ?? .null,
        ]
        object["error_rate"] = recent.requests == 0 ? .null : Self.rounded(recent.errorRate, places: 4)
        object["requests_total"] = .int(track.requestsTotal)
        object["errors_total"] = .int(track.errorsTotal)
    }

    /// `{state, open_for_ms}` from the health report's breaker: how long it has been open or half-open.
    private static func breaker(_ health: JSONValue?, key: String, book: inout StatsBook, at now: Int64) -> JSONValue {
        let state = health?["state"]?.stringValue ?? "closed"
        let since = health?["open_since_ms"]?.intValue.map(Int64.init)
        let open = book.breakers.observe(key, state: state, openSinceMilliseconds: since, at: now)
        return ["state": .string(state), "open_for_ms": open.map { .int($0) } ?? .null]
    }

    // MARK: - Series, failovers, budgets

    /// Every provider's last 90 buckets, oldest first; the last is the current, partial one.
    private static func series(providers: [String], book: StatsBook, at now: Int64) -> JSONValue {
        let current = StatsRing.index(at: now)
        let first = current - Int64(StatsRing.points) + 1
        let partial = Double(max(1_000, now - current * StatsRing.intervalMilliseconds)) / 1_000
        let full = Double(StatsRing.intervalMilliseconds) / 1_000
        var byProvider = JSONObject()
        for name in providers {
            let buckets = (book.providers[name] ?? StatsTrack()).ring.series(at: now)
            var rates: [JSONValue] = []
            var p95: [JSONValue] = []
            var errors: [JSONValue] = []
            var costs: [JSONValue] = []
            for bucket in buckets {
                let seconds = bucket.index == current ? partial : full
                rates.append(Self.rounded(Double(bucket.requests) / seconds, places: 3))
                p95.append(bucket.latency.percentile(95).map { .int($0) } ?? .null)
                errors.append(bucket.requests == 0 ? .null : Self.rounded(bucket.errorRate, places: 4))
                costs.append(.usd(bucket.costMicroUSD))
            }
            byProvider[name] = [
                "requests_per_second": .array(rates), "p95_latency_ms": .array(p95), "error_rate": .array(errors),
                "cost_usd": .array(costs),
            ]
        }
        return [
            "interval_ms": .int(StatsRing.intervalMilliseconds),
            "points": .int(StatsRing.points),
            "start_ms": .int(first * StatsRing.intervalMilliseconds),
            "providers": .object(byProvider),
        ]
    }

    private static func failover(_ record: FailoverRecord) -> JSONValue {
        [
            "at_ms": .int(record.atMilliseconds), "request_id": .string(record.requestID),
            "from": .string(record.from.description), "to": .string(record.to.description),
            "reason": .string(record.reason),
        ]
    }

    private static func feedback(_ tally: FeedbackTally) -> JSONValue {
        ["count": .int(tally.count), "mean_score": tally.mean.map { Self.rounded($0, places: 4) } ?? .null]
    }

    /// The budgets any caller may see with `quota.get` (the global ones, and per-client ones, which `quota.get
    /// --client NAME` shows to anyone), one entry per period with a limit: per-uid and per-gid budgets are one user's
    /// or one group's spend, and stay out of a snapshot that has no caller.
    static func sharedBudgets(_ statuses: JSONValue) -> JSONValue {
        var entries: [JSONValue] = []
        for status in statuses.arrayValue ?? [] {
            let match = status["match"]
            guard match == "global" || match?["client"] != nil else { continue }
            for period in ["day", "month"] {
                guard let values = status[period], let entry = Self.budget(status, period: period, values) else {
                    continue
                }
                entries.append(entry)
            }
        }
        return .array(entries)
    }

    /// One budget period, from its `quota.get` JSON: the USD use against its limit, and the highest ratio of any
    /// of its limits (dollars, tokens, requests). nil for a period without a limit.
    private static func budget(_ status: JSONValue, period: String, _ values: JSONValue) -> JSONValue? {
        var ratios: [Double] = []
        for (used, limit) in [("spent_usd", "limit_usd"), ("tokens", "limit_tokens"), ("requests", "limit_requests")] {
            guard let limit = values[limit]?.doubleValue else { continue }
            let used = values[used]?.doubleValue ?? 0
            ratios.append(limit > 0 ? used / limit : (used > 0 ? 1 : 0))
        }
        guard let ratio = ratios.max() else { return nil }
        return [
            "name": status["budget"] ?? .null,
            "match": status["match"] ?? .null,
            "period": .string(period),
            "used_usd": values["spent_usd"] ?? .null,
            "limit_usd": values["limit_usd"] ?? .null,
            "used_ratio": Self.rounded(ratio, places: 4),
            "state": .string(ratio >= 1 ? "exceeded" : ratio >= 0.8 ? "warning" : "ok"),
            "resets_at": values["resets_at"] ?? .null,
        ]
    }

    private static func rounded(_ value: Double, places: Int) -> JSONValue {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return .double((value * scale).rounded() / scale)
    }
}
