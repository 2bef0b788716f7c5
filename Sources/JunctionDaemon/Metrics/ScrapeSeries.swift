import Prometheus

/// A gauge family whose series mirror state read at scrape time: each scrape sets the series it reads and removes
/// the ones it no longer finds (a target forgotten, a budget removed by a reload), so none goes stale.
struct MirroredGauges {
    /// The family.
    let metric: MetricsCatalog.Metric
    /// Its label names, in the order `update` gives their values.
    let labelNames: [String]
    private var gauges: [[String]: Gauge] = [:]

    init(_ metric: MetricsCatalog.Metric, labels: [String]) {
        self.metric = metric
        self.labelNames = labels
    }

    /// Sets every series in `values` (label values in `labelNames` order) and unregisters the others.
    mutating func update(_ values: [[String]: Double], registry: PrometheusCollectorRegistry) {
        for (labels, value) in values {
            let gauge: Gauge
            if let existing = self.gauges[labels] {
                gauge = existing
            } else {
                gauge = registry.gauge(self.metric, labels: Array(zip(self.labelNames, labels)))
                self.gauges[labels] = gauge
            }
            gauge.set(value)
        }
        for (labels, gauge) in self.gauges where values[labels] == nil {
            registry.unregisterGauge(gauge)
            self.gauges[labels] = nil
        }
    }
}

/// A counter whose count lives elsewhere (the cache's hits, the ledger's dropped rows, CPU time), copied in at
/// scrape time. It never goes down: a source that steps back briefly (the cache moves a coalesced miss to the
/// joins) would otherwise look like a counter reset to Prometheus.
struct MirroredCounter {
    /// The registered counter.
    let counter: Counter
    private var last: Double = 0

    init(_ counter: Counter) {
        self.counter = counter
    }

    /// Copies `value` in, unless it is below what was shown before.
    mutating func set(_ value: Double) {
        guard value > self.last else { return }
        self.last = value
        self.counter.reset()
        // Whole counts stay integers in the text (a Double increment prints as one, `3.0`).
        if value.rounded() == value, value < 9e15 {
            self.counter.increment(by: Int64(value))
        } else {
            self.counter.increment(by: value)
        }
    }
}
