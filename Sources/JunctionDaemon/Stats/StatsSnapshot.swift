import JunctionCore

/// `stats.snapshot` and `GET /api/stats`: one object with everything `junctionctl top` and the dashboard show,
/// read from memory only (no SQLite on the call). Its shape is documented in rpc-schema/openrpc.json.
struct StatsSnapshot: Sendable {
    let collector: StatsCollector
    let runtime: DaemonRuntime
    let resilience: Resilience
    let budgets: Budgets
    let cache: ResponseCache
    let ledger: LedgerWriter
    let flightsInProgress: @Sendable () -> Int

    /// The snapshot; `budgetsFor` nil lists every budget (administrators, the operators' HTTP listener), else
    /// the budgets that match that caller.
    func json(budgetsFor caller: BudgetCaller?) -> JSONValue {
        let (state, now) = self.collector.read()
        let report = self.resilience.report(registry: self.runtime.active.registry, at: .now)
        var providers: [JSONValue] = []
        var series: JSONObject = [:]
        for provider in report["providers"]?.arrayValue ?? [] {
            guard let name = provider["provider"]?.stringValue else { continue }
            providers.append(.object(self.provider(provider, name: name, state: state)))
            let history = state.history.series(provider: name, nowMs: now)
            series[name] = [
                "requests_per_second": .array(history.requestsPerSecond.map { .double(Self.rounded($0)) }),
                "p95_latency_ms": .array(history.p95LatencyMs.map { $0.map { .int($0) } ?? .null }),
                "error_rate": .array(history.errorRate.map { .double(Self.rounded($0)) }),
                "cost_usd": .array(history.costMicroUSD.map { .double(MicroUSDText.usd($0)) }),
            ]
        }
        let lastMinute = state.history.requests(lastSeconds: 60, nowMs: now)
        let budgets = self.budgets.statuses(for: caller).flatMap { Self.budget($0) }
        return [
            "at_ms": .int(now),
            "version": .string(JunctionVersion.current),
            "uptime_ms": .int(self.runtime.uptime.milliseconds),
            "connections": .int(self.runtime.connectionCount),
            "inflight_requests": .int(self.runtime.inflightCount),
            "requests_total": .int(state.requestsTotal),
            "requests_per_second": .double(Self.rounded(Double(lastMinute) / 60)),
            "errors_total": .int(state.errorsTotal),
            "cost_today_usd": .double(MicroUSDText.usd(state.daily.total)),
            "cache": CacheMethods.encode(self.cache.stats, inFlight: self.flightsInProgress()),
            "ledger": self.ledger.status.json,
            "budgets": .array(budgets),
            "providers": .array(providers),
            "series": [
                "interval_ms": .int(StatsHistory.intervalMs), "points": .int(StatsHistory.points),
                "start_ms": .int((now / StatsHistory.intervalMs - Int64(StatsHistory.points) + 1) * StatsHistory.intervalMs),
                "providers": .object(series),
            ],
            "failovers": .array(
                state.failovers.newestFirst.map { failover in
                    [
                        "at_ms": .int(failover.atMs), "request_id": .string(failover.requestID),
                        "from": .string(failover.from), "to": .string(failover.to), "reason": .string(failover.reason),
                    ]
                }
            ),
        ]
    }

    /// One provider row from its `providers.health` entry plus the collector's totals.
    private func provider(_ health: JSONValue, name: String, state: StatsCollector.State) -> JSONObject {
        let window = health["rate_window"]
        var targets: [JSONValue] = []
        for target in health["targets"]?.arrayValue ?? [] {
            guard let model = target["model"]?.stringValue else { continue }
            let ref = TargetRef(provider: name, model: model)
            targets.append([
                "model": .string(model),
                "status": target["status"] ?? .null,
                "breaker": Self.breaker(target["breaker"]),
                "latency_ms": Self.latency(target["latency_ms"]),
                "error_rate": target["error_rate"] ?? .null,
                "requests_total": .int(state.requestsByTarget[ref] ?? 0),
                "cost_today_usd": .double(MicroUSDText.usd(state.daily.byTarget[ref] ?? 0)),
            ])
        }
        let requests = state.requestsByTarget.reduce(0) { $0 + ($1.key.provider == name ? $1.value : 0) }
        return [
            "provider": .string(name),
            "kind": health["kind"] ?? .null,
            "enabled": health["enabled"] ?? .null,
            "status": health["status"] ?? .null,
            "reason": health["reason"] ?? .null,
            "breaker": Self.breaker(health["breaker"]),
            "latency_ms": Self.latency(health["latency_ms"]),
            "error_rate": health["error_rate"] ?? .null,
            "requests_per_minute": window?["requests_last_minute"] ?? .null,
            "rpm_limit": window?["rpm_limit"] ?? .null,
            "tokens_per_minute": window?["tokens_last_minute"] ?? .null,
            "tpm_limit": window?["tpm_limit"] ?? .null,
            "requests_total": .int(requests),
            "cost_today_usd": .double(MicroUSDText.usd(state.daily.total(provider: name))),
            "targets": .array(targets),
        ]
    }

    /// `state`, and for an open breaker how long it has been open.
    private static func breaker(_ breaker: JSONValue?) -> JSONValue {
        ["state": breaker?["state"] ?? "closed", "open_for_ms": breaker?["open_since_ms"] ?? .null]
    }

    private static func latency(_ latency: JSONValue?) -> JSONValue {
        ["p50": latency?["p50"] ?? .null, "p95": latency?["p95"] ?? .null]
    }

    /// One entry per period the budget limits: what is spent against its tightest limit.
    private static func budget(_ status: BudgetStatus) -> [JSONValue] {
        func entry(_ period: String, spent: Int, limits: [BudgetLimitStatus?]) -> JSONValue? {
            let set = limits.compactMap { $0 }.filter { $0.limit > 0 }
            guard let ratio = set.map({ Double($0.used) / Double($0.limit) }).max() else { return nil }
            let usd = limits.first.flatMap { $0 }
            return [
                "name": .string(status.budget), "period": .string(period),
                "used_usd": .double(MicroUSDText.usd(spent)),
                "limit_usd": usd.map { .double(MicroUSDText.usd($0.limit)) } ?? .null,
                "used_ratio": .double(Self.rounded(ratio)),
                "state": .string(ratio >= 1 ? "exceeded" : ratio >= 0.8 ? "warning" : "ok"),
            ]
        }
        return [
            entry("day", spent: status.dayUsage.microUSD, limits: [status.dailyUSD, status.dailyTokens, status.dailyRequests]),
            entry("month", spent: status.monthUsage.microUSD, limits: [status.monthlyUSD]),
        ].compactMap { $0 }
    }

    private static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
