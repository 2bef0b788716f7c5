extension ConfigLoader {
    /// `[metrics]`.
    static func readMetrics(_ table: ConfigTable) -> MetricsConfig {
        var metrics = MetricsConfig()
        metrics.enabled = table.bool("enabled") ?? metrics.enabled
        // The bounds keep every label's cardinality, and so Prometheus's memory, in the operator's hands: zero is
        // allowed (only configured models and no client names), more than 10 000 is a mistake.
        metrics.maxModels = table.int("max_models", in: 0...10_000) ?? metrics.maxModels
        metrics.clientLabels = table.bool("client_labels") ?? metrics.clientLabels
        metrics.maxClients = table.int("max_clients", in: 0...10_000) ?? metrics.maxClients
        table.rejectUnknownKeys(allowed: ["enabled", "max_models", "client_labels", "max_clients"])
        return metrics
    }
}
