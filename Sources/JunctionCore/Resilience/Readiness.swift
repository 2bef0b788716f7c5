/// Whether the daemon should receive traffic (`GET /readyz`), decided from what it reports about itself.
///
/// Ready means: it has started (the RPC socket listens), it is not draining, and at least one provider is enabled
/// and not down. Down is `UNHEALTHY` (authentication failed, quota exhausted, breaker open, probes failing, every
/// model failing) or `DISABLED`; `NO_DATA`, `DEGRADED` and `RATE_LIMITED` providers still count, since they serve
/// or will be tried.
public enum Readiness: Sendable, Equatable {
    /// Ready, with a one-line summary.
    case ready(String)
    /// Not ready, and why.
    case notReady(String)

    /// One provider as the readiness rule sees it.
    public struct ProviderState: Sendable, Equatable {
        public var name: String
        /// As `providers.health` reports it.
        public var status: HealthTracker.Status

        /// A provider's name and status.
        public init(name: String, status: HealthTracker.Status) {
            self.name = name
            self.status = status
        }
    }

    /// Applies the rule; the reason is one line for an operator.
    public static func evaluate(started: Bool, draining: Bool, providers: [ProviderState]) -> Readiness {
        if draining { return .notReady("draining: the daemon is shutting down") }
        if !started { return .notReady("starting: the RPC socket is not listening yet") }
        if providers.isEmpty { return .notReady("no providers configured") }
        let serving = providers.filter { $0.status != .unhealthy && $0.status != .disabled }
        if serving.isEmpty {
            let enabled = providers.filter { $0.status != .disabled }
            if enabled.isEmpty { return .notReady("every provider is disabled") }
            let names = enabled.map(\.name).joined(separator: ", ")
            return .notReady("every enabled provider is down (\(names))")
        }
        let names = serving.map(\.name).joined(separator: ", ")
        return .ready("ready: \(serving.count) of \(providers.count) providers serving (\(names))")
    }

    /// Whether `/readyz` answers 200.
    public var isReady: Bool {
        if case .ready = self { return true }
        return false
    }

    /// The one line `/readyz` shows.
    public var reason: String {
        switch self {
        case .ready(let reason), .notReady(let reason): reason
        }
    }
}
