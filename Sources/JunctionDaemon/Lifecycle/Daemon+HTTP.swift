import JunctionCore
import JunctionProviders
import Logging

extension Daemon {
    /// The operators' HTTP server for `[http]`, bound (a port in use is a startup error naming the address), or
    /// nil when `[http]` configures no listener.
    static func operatorHTTPServer(
        runtime: DaemonRuntime,
        resilience: Resilience,
        readiness: DaemonReadiness,
        liveness: @escaping @Sendable () async -> String?,
        metrics: (@Sendable () -> String)?,
        stats: (@Sendable () async -> JSONValue?)?,
        gateway: Gateway,
        logger: Logger
    ) async throws(DaemonStartupError) -> HTTPServer? {
        let config = runtime.config
        guard config.http.isEnabled else { return nil }
        for address in config.http.listen where !HTTPAddressParser.isLoopback(address) {
            let warning =
                "http listens on \(address), which is not loopback (allow_remote = true): anyone who can reach it "
                + "sees the dashboard, the stats and the metrics"
            logger.warning("\(warning)")
        }
        let cachedLiveness = CachedCheck(maxAge: .seconds(1), liveness)
        let endpoints = OperatorEndpoints(
            liveness: { await cachedLiveness.problem() },
            readiness: {
                let report = resilience.report(registry: runtime.active.registry, at: .now)
                return readiness.evaluate(providers: Self.providerStates(report))
            },
            metrics: metrics,
            stats: stats
        )
        var router = HTTPRouter()
        OperatorRoutes.add(to: &router, endpoints)
        let api = APIGeneration(
            gateway: gateway, routing: { runtime.active.routing }, isDraining: { readiness.isDraining },
            authenticator: APIAuthenticator(isAdmin: { runtime.adminPolicy.permits($0) }), logger: logger
        )
        APIRoutes.add(to: &router, api, startedAt: WallClock.nowMilliseconds() - runtime.uptime.milliseconds)
        let server = HTTPServer(
            targets: HTTPServerSettings.targets(of: config.http),
            router: router,
            settings: HTTPServerSettings(config: config.http, drainTimeout: config.server.drainTimeout),
            logger: logger,
            onDraining: { readiness.markDraining() }
        )
        do {
            try await server.bind()
        } catch {
            throw DaemonStartupError(description: "\(error)", exitCode: 1)
        }
        return server
    }

    /// Each provider's name and status, from the `providers.health` report.
    static func providerStates(_ report: JSONValue) -> [Readiness.ProviderState] {
        (report["providers"]?.arrayValue ?? []).compactMap { provider in
            guard let name = provider["provider"]?.stringValue,
                let status = provider["status"]?.stringValue.flatMap(HealthTracker.Status.init(rawValue:))
            else { return nil }
            return Readiness.ProviderState(name: name, status: status)
        }
    }
}
