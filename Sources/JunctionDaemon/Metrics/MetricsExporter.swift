import JunctionCore
import JunctionShared
import NIOConcurrencyHelpers
import Prometheus

/// The Prometheus text exposition of one daemon: what the recorder counted from outcomes, plus the gauges that
/// mirror state, read from their owners at scrape time (breakers, provider status and rate windows from the
/// resilience shell, budgets, the cache's counts, the ledger's dropped rows, connections and requests in flight,
/// and the `process_*` metrics). Nothing here runs per request. The `metrics` RPC returns `exposition()`; the
/// HTTP listener's `GET /metrics` serves the same text with `contentType`.
final class MetricsExporter: Sendable {
    /// The Prometheus text format, version 0.0.4.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Where the state-mirroring series are read from, at scrape time.
    struct Sources: Sendable {
        var resilience: @Sendable () -> Resilience.MetricsState
        var budgets: @Sendable () -> [BudgetStatus]
        var cache: @Sendable () -> ResponseCache.Stats
        var live: @Sendable () -> LiveCounters
        var ledgerDroppedRows: @Sendable () -> Int
        /// The shared state's health (`[shared]`).
        var shared: @Sendable () -> RedisHealth = { .disabled }
        var process: @Sendable () -> ProcessSample? = { ProcessSample.read() }
    }

    /// The outcome subscriber whose registry this renders.
    let recorder: MetricsRecorder
    private let sources: Sources
    /// The mirrored series; the lock also keeps two scrapes from interleaving their updates.
    private let mirrors: NIOLockedValueBox<Mirrors>

    init(recorder: MetricsRecorder, sources: Sources, version: String = JunctionVersion.current) {
        self.recorder = recorder
        self.sources = sources
        let registry = recorder.registry
        registry.gauge(MetricsCatalog.buildInfo, labels: [("version", version)]).set(to: 1)
        self.mirrors = NIOLockedValueBox(Mirrors(registry: registry))
    }

    /// `[metrics] enabled` in the configuration in force.
    var isEnabled: Bool { self.recorder.isEnabled }

    /// The exposition text now. With `[metrics] enabled = false`, a comment saying so and no series (the `metrics`
    /// RPC returns it with `enabled: false`; an HTTP front end may answer 404 instead, by `isEnabled`).
    func exposition() -> String {
        guard self.isEnabled else { return "# junctiond: metrics are disabled ([metrics] enabled = false)\n" }
        let resilience = self.sources.resilience()
        let budgets = self.sources.budgets()
        let cache = self.sources.cache()
        let live = self.sources.live()
        let dropped = self.sources.ledgerDroppedRows()
        let shared = self.sources.shared()
        let process = self.sources.process()
        // Breaker series use the same bounded model label as the outcome series, so that they join in queries.
        let models = self.recorder.modelLabels(resilience.breakers.map(\.model))
        let registry = self.recorder.registry
        return self.mirrors.withLockedValue { mirrors in
            var breakers: [[String]: Double] = [:]
            for (breaker, model) in zip(resilience.breakers, models) {
                // Targets folded into `other` show the worst breaker among them.
                let key = [breaker.provider, model]
                breakers[key] = max(breakers[key] ?? 0, Double(breaker.state))
            }
            mirrors.breakers.update(breakers, registry: registry)
            var statuses: [[String]: Double] = [:]
            for (provider, status) in resilience.statuses {
                for candidate in Self.statuses {
                    statuses[[provider, Self.label(candidate)]] = candidate == status ? 1 : 0
                }
            }
            mirrors.providerStatus.update(statuses, registry: registry)
            var windows: [[String]: Double] = [:]
            for window in resilience.windows { windows[[window.provider, window.window]] = window.ratio }
            mirrors.rateWindows.update(windows, registry: registry)
            mirrors.budgets.update(Self.budgetRatios(budgets), registry: registry)
            mirrors.cacheHits.set(Double(cache.hits))
            mirrors.cacheMisses.set(Double(cache.misses))
            mirrors.cacheStale.set(Double(cache.staleServes))
            mirrors.cacheCoalesced.set(Double(cache.coalescedJoins))
            mirrors.inflight.set(Double(live.inflight))
            mirrors.connections.set(Double(live.connections))
            mirrors.ledgerDropped.set(Double(dropped))
            for (state, gauge) in mirrors.sharedStates { gauge.set(to: state == shared.state ? 1.0 : 0.0) }
            mirrors.sharedOK.set(Double(shared.succeeded))
            mirrors.sharedFailed.set(Double(shared.failures))
            mirrors.sharedTimeouts.set(Double(shared.timeouts))
            mirrors.sharedRoundTrips.set(Double(shared.batches))
            mirrors.sharedCommands.set(Double(shared.commands))
            if let process { mirrors.process.update(process) }
            return registry.emitToString()
        }
    }

    /// Every status a provider can have, each listed in `junction_provider_status`.
    static let statuses: [HealthTracker.Status] = [.healthy, .degraded, .unhealthy, .rateLimited, .disabled, .noData]

    /// `healthy`, `degraded`, `unhealthy`, `rate_limited`, `disabled`, `no_data`.
    static func label(_ status: HealthTracker.Status) -> String { status.rawValue.lowercased() }

    /// Per budget and period (`day`, `month`, `minute`), the most used of the period's limits: the share an alert
    /// at 80 % watches. Budgets without a limit in a period have no series for it.
    static func budgetRatios(_ budgets: [BudgetStatus]) -> [[String]: Double] {
        var ratios: [[String]: Double] = [:]
        for budget in budgets {
            let periods = [
                ("day", [budget.dailyUSD, budget.dailyTokens, budget.dailyRequests]), ("month", [budget.monthlyUSD]),
                ("minute", [budget.rpm]),
            ]
            ratios.merge(Self.budgetRatios(budget: budget.budget, periods: periods)) { $1 }
        }
        return ratios
    }

    /// One budget's series: per period, the largest `used / limit` of its limits.
    static func budgetRatios(budget: String, periods: [(String, [BudgetLimitStatus?])]) -> [[String]: Double] {
        var ratios: [[String]: Double] = [:]
        for (period, limits) in periods {
            let used = limits.compactMap { $0 }.filter { $0.limit > 0 }.map { Double($0.used) / Double($0.limit) }
            if let most = used.max() { ratios[[budget, period]] = most }
        }
        return ratios
    }
}

extension MetricsExporter {
    /// The state-mirroring series, created with the exporter (the labelled ones as they are first read).
    fileprivate struct Mirrors {
        var breakers = MirroredGauges(MetricsCatalog.breakerState, labels: ["provider", "model"])
        var providerStatus = MirroredGauges(MetricsCatalog.providerStatus, labels: ["provider", "status"])
        var rateWindows = MirroredGauges(MetricsCatalog.rateWindowUsed, labels: ["provider", "window"])
        var budgets = MirroredGauges(MetricsCatalog.budgetUsed, labels: ["budget", "period"])
        var cacheHits: MirroredCounter
        var cacheMisses: MirroredCounter
        var cacheStale: MirroredCounter
        var cacheCoalesced: MirroredCounter
        var ledgerDropped: MirroredCounter
        let sharedStates: [(RedisHealth.State, Gauge)]
        var sharedOK: MirroredCounter
        var sharedFailed: MirroredCounter
        var sharedTimeouts: MirroredCounter
        var sharedRoundTrips: MirroredCounter
        var sharedCommands: MirroredCounter
        let inflight: Gauge
        let connections: Gauge
        var process: ProcessSeries

        init(registry: PrometheusCollectorRegistry) {
            func cache(_ result: String) -> MirroredCounter {
                MirroredCounter(
                    registry.counter(MetricsCatalog.cacheRequests, labels: [("result", result)])
                )
            }
            self.cacheHits = cache("hit")
            self.cacheMisses = cache("miss")
            self.cacheStale = cache("stale")
            self.cacheCoalesced = cache("coalesced")
            self.ledgerDropped = MirroredCounter(
                registry.counter(MetricsCatalog.ledgerDropped)
            )
            self.sharedStates = [RedisHealth.State.connected, .degradedLocal, .disabled].map { state in
                (state, registry.gauge(MetricsCatalog.sharedState, labels: [("state", state.rawValue)]))
            }
            func shared(_ result: String) -> MirroredCounter {
                MirroredCounter(registry.counter(MetricsCatalog.sharedOperations, labels: [("result", result)]))
            }
            self.sharedOK = shared("ok")
            self.sharedFailed = shared("failed")
            self.sharedTimeouts = shared("timeout")
            self.sharedRoundTrips = MirroredCounter(registry.counter(MetricsCatalog.sharedRoundTrips))
            self.sharedCommands = MirroredCounter(registry.counter(MetricsCatalog.sharedCommands))
            self.inflight = registry.gauge(MetricsCatalog.inflight)
            self.connections = registry.gauge(MetricsCatalog.connections)
            self.process = ProcessSeries(registry: registry)
        }
    }

    fileprivate struct ProcessSeries {
        let resident: Gauge
        let virtual: Gauge
        var cpu: MirroredCounter
        let openFDs: Gauge
        let maxFDs: Gauge
        let startTime: Gauge

        init(registry: PrometheusCollectorRegistry) {
            func gauge(_ metric: MetricsCatalog.Metric) -> Gauge { registry.gauge(metric) }
            self.resident = gauge(MetricsCatalog.residentMemory)
            self.virtual = gauge(MetricsCatalog.virtualMemory)
            self.cpu = MirroredCounter(
                registry.counter(MetricsCatalog.cpuSeconds)
            )
            self.openFDs = gauge(MetricsCatalog.openFDs)
            self.maxFDs = gauge(MetricsCatalog.maxFDs)
            self.startTime = gauge(MetricsCatalog.startTime)
        }

        mutating func update(_ sample: ProcessSample) {
            self.resident.set(sample.residentBytes)
            self.virtual.set(sample.virtualBytes)
            self.cpu.set(sample.cpuSeconds)
            self.openFDs.set(sample.openFDs)
            self.maxFDs.set(sample.maxFDs)
            self.startTime.set(sample.startTimeSeconds)
        }
    }
}
