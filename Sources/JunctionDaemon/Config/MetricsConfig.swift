/// `[metrics]`: the Prometheus exposition (`metrics` RPC, `GET /metrics`) and its label bounds.
struct MetricsConfig: Sendable, Equatable {
    /// `enabled = false`: outcomes are not counted and the exposition is refused.
    var enabled = true
    /// Model ids the configuration does not name that may become `model` label values; later ones read `other`.
    var maxModels = 100
    /// Adds the caller's `client` label to `junction_requests_total` (bounded by `maxClients`).
    var clientLabels = false
    /// Distinct `client` label values before later ones read `other`.
    var maxClients = 50
}
