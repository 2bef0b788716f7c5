import Prometheus

extension MetricsCatalog.Metric {
    /// The name and HELP text as swift-prometheus takes them (the whole name as `metricName`: ours carry their
    /// unit suffixes already).
    var descriptor: MetricNameDescriptor {
        MetricNameDescriptor(metricName: self.name, unitName: "", helpText: self.help)
    }
}

/// Registering the catalog's metrics: the name, HELP text and type come from `MetricsCatalog`, the labels from
/// the caller. Each returns the existing handle for a label set registered before.
extension PrometheusCollectorRegistry {
    func counter(_ metric: MetricsCatalog.Metric, labels: [(String, String)] = []) -> Counter {
        self.makeCounter(descriptor: metric.descriptor, labels: labels)
    }

    func gauge(_ metric: MetricsCatalog.Metric, labels: [(String, String)] = []) -> Gauge {
        self.makeGauge(descriptor: metric.descriptor, labels: labels)
    }

    func durationHistogram(
        _ metric: MetricsCatalog.Metric, labels: [(String, String)], buckets: [Duration]
    ) -> DurationHistogram {
        self.makeDurationHistogram(descriptor: metric.descriptor, labels: labels, buckets: buckets)
    }

    func valueHistogram(
        _ metric: MetricsCatalog.Metric, labels: [(String, String)], buckets: [Double]
    ) -> ValueHistogram {
        self.makeValueHistogram(descriptor: metric.descriptor, labels: labels, buckets: buckets)
    }
}
