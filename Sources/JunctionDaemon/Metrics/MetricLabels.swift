import JunctionCore

/// The fixed vocabularies of the label values: what `outcome`, `route`, `reason` and `stream` may read.
enum MetricLabels {
    /// `provider` and `model` of a request that reached no provider (refused by a budget, nothing routable).
    static let none = "none"

    /// A request's `outcome`: `success` (a provider answered), `cached` (a fresh cache entry or an identical request
    /// in flight answered), `stale` (every target failed and an expired entry answered), `cancelled` (the caller
    /// went away), or the failure's kind: `invalid_request`, `nothing_configured`, `timeout`, `rate_limited`,
    /// `upstream_error`, `no_provider_available`, `out_of_file_descriptors`, `budget_exhausted`,
    /// `structured_output_invalid`.
    static func outcome(of result: RequestOutcome.Result) -> String {
        switch result {
        case .answered(let answer):
            switch answer.details.served {
            case nil: "success"
            case .hit, .coalesced: "cached"
            case .stale: "stale"
            }
        case .failed(let failure): failure.kind.name
        case .cancelled: "cancelled"
        }
    }

    /// An attempt's `outcome`: `success`, `cancelled` (abandoned), or the failure's reason code.
    static func outcome(of result: AttemptOutcome.Result) -> String {
        switch result {
        case .answered: "success"
        case .failed(let failure): self.reason(failure.reason)
        case .abandoned: "cancelled"
        }
    }

    /// `reason`: one of `FailureReason.codes`, `http_<status>` with a three-digit status, or `other`.
    static func reason(_ code: String?) -> String {
        guard let code else { return BoundedLabelValues.other }
        if Self.reasonCodes.contains(code) { return code }
        let utf8 = code.utf8
        if utf8.count == 8, code.hasPrefix("http_"), utf8.dropFirst(5).allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            return code
        }
        return BoundedLabelValues.other
    }

    private static let reasonCodes = Set(FailureReason.codes)

    /// `route`: the configured route a request named (by `route`, or by `model` naming a route), `default` for a
    /// request that named neither, `direct` for a `provider:model` or model id, `other` for an unknown route name.
    static func route(_ selection: RouteSelection, routes: Set<String>) -> String {
        switch selection {
        case .route(let name): routes.contains(name) ? name : BoundedLabelValues.other
        case .model(let name): routes.contains(name) ? name : "direct"
        case .automatic: "default"
        }
    }

    static func stream(_ stream: Bool) -> String { stream ? "true" : "false" }
}
