import JunctionCore
import JunctionRPC

/// `metrics`: the Prometheus text exposition over the socket (what `GET /metrics` serves over HTTP).
///
/// Open to every caller who may connect: the exposition holds no secrets and, by default, nothing per user (no
/// uid, no client label). With `[metrics] client_labels = true` it names the callers' `client` labels, which
/// other callers chose, so then only administrators may read it.
enum MetricsMethods {
    static func all(exporter: MetricsExporter, clientLabels: @escaping @Sendable () -> Bool) -> [RPCMethod] {
        [
            RPCMethod("metrics") { params, context in
                _ = try Params(params, known: [])
                if clientLabels(), !context.isAdmin {
                    throw RPCError(
                        code: RPCErrorCode.permissionDenied.rawValue,
                        message: "Permission denied: metrics names callers' client labels ([metrics] client_labels = "
                            + "true) and requires root, the daemon's user or the admin group",
                        data: ["method": "metrics"]
                    )
                }
                return [
                    "enabled": .bool(exporter.isEnabled),
                    "content_type": .string(MetricsExporter.contentType),
                    "text": .string(exporter.exposition()),
                ]
            }
        ]
    }
}
