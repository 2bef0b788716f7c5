import JunctionCore
import NIOConcurrencyHelpers
import Prometheus

/// Counts what the outcome report delivers: per attempt `junction_attempts_total`; per request the request
/// counter, its duration and time to first token, retries, failovers, billed tokens and cost. One per daemon,
/// around the daemon's own `PrometheusCollectorRegistry`.
///
/// Why the registry directly and not the swift-metrics API over `PrometheusMetricsFactory`: the factory registers
/// every metric without HELP text (the exposition must carry it), and the handles would be found through
/// `MetricsSystem`'s process-wide bootstrap, which the tests' several daemons in one process cannot share. The
/// registry is the same swift-prometheus storage and text format, owned by this instance.
///
/// The hot path: one short lock per attempt and per request finds (or, the first time, registers) the handles of
/// the label set in dictionaries keyed by the label values; the counting itself (atomics, the histogram's own
/// lock) happens after the lock. No label array or string is built when a handle exists.
final class MetricsRecorder: OutcomeSubscriber {
    /// This daemon's registry: the exporter renders it and registers the state-mirroring series in it too.
    let registry: PrometheusCollectorRegistry
    private let configuration: @Sendable () -> ActiveConfiguration
    private let state: NIOLockedValueBox<State>

    init(
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        configuration: @escaping @Sendable () -> ActiveConfiguration
    ) {
        self.registry = registry
        self.configuration = configuration
        self.state = NIOLockedValueBox(State())
    }

    /// `[metrics] enabled` in the configuration in force.
    var isEnabled: Bool {
        let active = self.configuration()
        return self.state.withLockedValue { state in
            state.refresh(active)
            return state.settings.enabled
        }
    }

    /// The `model` label values of `models`, as the outcome series have them (the exporter's breaker series use
    /// them, so that the two join in queries).
    func modelLabels(_ models: [String]) -> [String] {
        let active = self.configuration()
        return self.state.withLockedValue { state in
            state.refresh(active)
            return models.map { state.models.value(for: $0) }
        }
    }

    // MARK: - Outcomes

    /// `junction_attempts_total` for the attempt's target and outcome.
    func attemptFinished(_ outcome: AttemptOutcome) {
        let active = self.configuration()
        guard active.loaded.config.metrics.enabled else { return }  // off: not even the lock
        let counter = self.state.withLockedValue { state -> Counter? in
            state.refresh(active)
            guard state.settings.enabled else { return nil }
            let key = AttemptKey(
                provider: outcome.target.provider, model: state.models.value(for: outcome.target.model),
                outcome: MetricLabels.outcome(of: outcome.result)
            )
            if let counter = state.attempts[key] { return counter }
            let counter = self.registry.counter(
                MetricsCatalog.attempts,
                labels: [("provider", key.provider), ("model", key.model), ("outcome", key.outcome)]
            )
            state.attempts[key] = counter
            return counter
        }
        counter?.increment()
    }

    /// The request counter, its duration and time to first token (when a provider answered it), every billed
    /// attempt's tokens and cost (on the attempt's target), and the retries and failovers between its attempts.
    func requestFinished(_ outcome: RequestOutcome) {
        let active = self.configuration()
        guard active.loaded.config.metrics.enabled else { return }
        let target: TargetRef? =
            if case .answered(let result) = outcome.result { result.target } else { outcome.attempts.last?.target }
        // Cache answers have no attempts: a provider's latency and tokens are not theirs.
        let reachedProvider = !outcome.attempts.isEmpty
        var ttft: Duration?
        if case .answered(let result) = outcome.result, outcome.stream, reachedProvider { ttft = result.ttft }
        guard
            let handles = self.state.withLockedValue({ state -> RequestHandles? in
                state.refresh(active)
                guard state.settings.enabled else { return nil }
                return self.requestHandles(
                    &state, outcome: outcome, target: target, timed: reachedProvider, ttft: ttft != nil
                )
            })
        else { return }
        handles.requests.increment()
        handles.duration?.record(outcome.ended - outcome.started)
        if let ttft { handles.ttft?.record(ttft) }
        for attempt in outcome.attempts {
            guard let charge = attempt.charge, !charge.billUnknown else { continue }
            let usage = attempt.target == target ? handles.usage : self.usageCounters(attempt.target, active: active)
            usage?.count(charge)
        }
        if outcome.attempts.count > 1 { self.countMoves(outcome.attempts, active: active) }
    }

    /// A caller's rating of an answer (`feedback`), 0 (bad) to 1 (good); out-of-range scores are clamped.
    func recordFeedback(provider: String, model: String, score: Double) {
        guard score.isFinite else { return }
        let active = self.configuration()
        let histogram = self.state.withLockedValue { state -> ValueHistogram? in
            state.refresh(active)
            guard state.settings.enabled else { return nil }
            let key = TargetKey(provider: provider, model: state.models.value(for: model))
            if let histogram = state.feedback[key] { return histogram }
            let histogram = self.registry.valueHistogram(
                MetricsCatalog.feedback, labels: key.labels, buckets: MetricsCatalog.feedbackBuckets
            )
            state.feedback[key] = histogram
            return histogram
        }
        histogram?.record(min(1, max(0, score)))
    }

    // MARK: - Handles

    private struct RequestHandles {
        var requests: Counter
        var duration: DurationHistogram?
        var ttft: DurationHistogram?
        var usage: UsageCounters?
    }

    private func requestHandles(
        _ state: inout State, outcome: RequestOutcome, target: TargetRef?, timed: Bool, ttft: Bool
    ) -> RequestHandles {
        let provider = target?.provider ?? MetricLabels.none
        let model = target.map { state.models.value(for: $0.model) } ?? MetricLabels.none
        let key = RequestKey(
            route: MetricLabels.route(outcome.selection, routes: state.routes), provider: provider, model: model,
            outcome: MetricLabels.outcome(of: outcome.result),
            client: state.settings.clientLabels ? state.clients.value(for: outcome.client ?? MetricLabels.none) : nil
        )
        let requests: Counter
        if let counter = state.requests[key] {
            requests = counter
        } else {
            var labels = [
                ("route", key.route), ("provider", key.provider), ("model", key.model), ("outcome", key.outcome),
            ]
            if let client = key.client { labels.append(("client", client)) }
            requests = self.registry.counter(MetricsCatalog.requests, labels: labels)
            state.requests[key] = requests
        }
        var handles = RequestHandles(requests: requests)
        guard target != nil else { return handles }
        let targetKey = TargetKey(provider: provider, model: model)
        // In place: one hash of the key, whether the series exist or are registered now.
        Self.fill(
            &handles, from: &state.targets[targetKey, default: TargetSeries()], key: targetKey, outcome: outcome,
            timed: timed, ttft: ttft, registry: self.registry
        )
        return handles
    }

    private static func fill(
        _ handles: inout RequestHandles, from series: inout TargetSeries, key: TargetKey, outcome: RequestOutcome,
        timed: Bool, ttft: Bool, registry: PrometheusCollectorRegistry
    ) {
        if timed { handles.duration = series.duration(stream: outcome.stream, key: key, registry: registry) }
        if ttft { handles.ttft = series.ttft(key: key, registry: registry) }
        if outcome.attempts.contains(where: { $0.charge != nil }) {
            handles.usage = series.usage(key: key, registry: registry)
        }
    }

    /// The usage counters of a target other than the request's (an earlier attempt's, billed before failing).
    private func usageCounters(_ target: TargetRef, active: ActiveConfiguration) -> UsageCounters {
        self.state.withLockedValue { state in
            state.refresh(active)
            let key = TargetKey(provider: target.provider, model: state.models.value(for: target.model))
            return state.targets[key, default: TargetSeries()].usage(key: key, registry: self.registry)
        }
    }

    /// Retries (the same target again) and failovers (the next target) between consecutive attempts.
    private func countMoves(_ attempts: [AttemptRecord], active: ActiveConfiguration) {
        let counters = self.state.withLockedValue { state -> [Counter] in
            state.refresh(active)
            var counters: [Counter] = []
            for (previous, next) in zip(attempts, attempts.dropFirst()) {
                if previous.target == next.target {
                    let model = state.models.value(for: next.target.model)
                    let key = TargetKey(provider: next.target.provider, model: model)
                    counters.append(
                        state.targets[key, default: TargetSeries()].retries(key: key, registry: self.registry))
                    continue
                }
                let key = FailoverKey(
                    from: "\(previous.target.provider):\(state.models.value(for: previous.target.model))",
                    to: "\(next.target.provider):\(state.models.value(for: next.target.model))",
                    reason: MetricLabels.reason(previous.reason)
                )
                if let counter = state.failovers[key] {
                    counters.append(counter)
                    continue
                }
                let counter = self.registry.counter(
                    MetricsCatalog.failovers, labels: [("from", key.from), ("to", key.to), ("reason", key.reason)]
                )
                state.failovers[key] = counter
                counters.append(counter)
            }
            return counters
        }
        for counter in counters { counter.increment() }
    }
}

// MARK: - State

extension MetricsRecorder {
    /// The label values of a target's series (`model` already bounded).
    struct TargetKey: Hashable, Sendable {
        var provider: String
        var model: String

        var labels: [(String, String)] { [("provider", self.provider), ("model", self.model)] }
    }

    /// The label values of a `junction_requests_total` series.
    struct RequestKey: Hashable, Sendable {
        var route: String
        var provider: String
        var model: String
        var outcome: String
        var client: String?
    }

    /// The label values of a `junction_attempts_total` series.
    struct AttemptKey: Hashable, Sendable {
        var provider: String
        var model: String
        var outcome: String
    }

    /// The label values of a `junction_failovers_total` series.
    struct FailoverKey: Hashable, Sendable {
        var from: String
        var to: String
        var reason: String
    }

    /// What the recorder keeps under its lock: the label bounds of the configuration in force and every handle
    /// registered so far, by its label values.
    fileprivate struct State {
        /// The configuration the bounds were taken from; another one (a reload) refreshes them.
        var active: ActiveConfiguration?
        var settings = MetricsConfig()
        var routes: Set<String> = []
        var models = BoundedLabelValues(cap: MetricsConfig().maxModels)
        var clients = BoundedLabelValues(cap: MetricsConfig().maxClients)
        var targets: [TargetKey: TargetSeries] = [:]
        var requests: [RequestKey: Counter] = [:]
        var attempts: [AttemptKey: Counter] = [:]
        var failovers: [FailoverKey: Counter] = [:]
        var feedback: [TargetKey: ValueHistogram] = [:]

        /// Takes the bounds of `active` when it is not the configuration they came from (an identity check: the
        /// usual case costs one comparison).
        mutating func refresh(_ active: ActiveConfiguration) {
            guard self.active !== active else { return }
            self.active = active
            let config = active.loaded.config
            self.settings = config.metrics
            self.routes = Set(config.routes.map(\.name))
            self.models.reconfigure(
                configured: Set(active.configuredTargets.map(\.model)), cap: config.metrics.maxModels)
            self.clients.reconfigure(configured: [], cap: config.metrics.maxClients)
        }
    }

    /// A target's per-request handles, registered as first needed.
    fileprivate struct TargetSeries {
        var unary: DurationHistogram?
        var stream: DurationHistogram?
        var ttft: DurationHistogram?
        var usage: UsageCounters?
        var retries: Counter?

        mutating func duration(stream: Bool, key: TargetKey, registry: PrometheusCollectorRegistry) -> DurationHistogram
        {
            if let histogram = stream ? self.stream : self.unary { return histogram }
            let histogram = registry.durationHistogram(
                MetricsCatalog.requestDuration, labels: key.labels + [("stream", MetricLabels.stream(stream))],
                buckets: MetricsCatalog.durationBuckets)
            if stream { self.stream = histogram } else { self.unary = histogram }
            return histogram
        }

        mutating func ttft(key: TargetKey, registry: PrometheusCollectorRegistry) -> DurationHistogram {
            if let histogram = self.ttft { return histogram }
            let histogram = registry.durationHistogram(
                MetricsCatalog.timeToFirstToken, labels: key.labels, buckets: MetricsCatalog.ttftBuckets)
            self.ttft = histogram
            return histogram
        }

        mutating func usage(key: TargetKey, registry: PrometheusCollectorRegistry) -> UsageCounters {
            if let usage = self.usage { return usage }
            let usage = UsageCounters(key: key, registry: registry)
            self.usage = usage
            return usage
        }

        mutating func retries(key: TargetKey, registry: PrometheusCollectorRegistry) -> Counter {
            if let counter = self.retries { return counter }
            let counter = registry.counter(MetricsCatalog.retries, labels: key.labels)
            self.retries = counter
            return counter
        }
    }

    /// A target's token counters (one per kind) and its cost.
    final class UsageCounters: Sendable {
        let prompt: Counter
        let completion: Counter
        let cached: Counter
        let cacheWrite: Counter
        let reasoning: Counter
        let cost: Counter

        init(key: TargetKey, registry: PrometheusCollectorRegistry) {
            func tokens(_ kind: String) -> Counter {
                registry.counter(MetricsCatalog.tokens, labels: key.labels + [("kind", kind)])
            }
            self.prompt = tokens("prompt")
            self.completion = tokens("completion")
            self.cached = tokens("cached")
            self.cacheWrite = tokens("cache_write")
            self.reasoning = tokens("reasoning")
            self.cost = registry.counter(MetricsCatalog.cost, labels: key.labels)
        }

        /// Adds one billed attempt (zero counts touch nothing).
        func count(_ charge: AttemptCharge) {
            func add(_ counter: Counter, _ value: Int) { if value > 0 { counter.increment(by: Int64(value)) } }
            let usage = charge.billed.usage
            add(self.prompt, usage.promptTokens)
            add(self.completion, usage.completionTokens)
            add(self.cached, usage.cachedTokens)
            add(self.cacheWrite, usage.cacheWriteTokens)
            add(self.reasoning, usage.reasoningTokens)
            if let total = charge.cost?.total, total > 0 { self.cost.increment(by: Double(total) / 1_000_000) }
        }
    }
}

/// Stored ratings reach `junction_feedback_score`.
extension MetricsRecorder: FeedbackObserver {
    func feedbackRecorded(provider: String, model: String, score: Double) {
        self.recordFeedback(provider: provider, model: model, score: score)
    }
}
