import JunctionCore
import JunctionProviders
import Logging
import NIOHTTP1

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
        transport: Transport,
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
        let tokens = APITokens.load(config.http.tokens, environment: ProcessEnvironment.current(), logger: logger)
        let authenticator = APIAuthenticator(isAdmin: { runtime.adminPolicy.permits($0) }, tokens: tokens)
        var router = HTTPRouter()
        var refusal: (@Sendable (HTTPServerRequest) -> HTTPServerResponse?)?
        if config.http.protectDashboard {
            refusal = { @Sendable request in Self.dashboardRefusal(request, authenticator) }
        }
        OperatorRoutes.add(to: &router, endpoints, refusal: refusal)
        let api = APIGeneration(
            gateway: gateway, routing: { runtime.active.routing }, isDraining: { readiness.isDraining },
            authenticator: authenticator,
            tokenCounter: { request, selection in
                do throws(RoutingError) {
                    return .success(
                        try await ProviderMethods.countTokens(
                            request, selection: selection, runtime: runtime, transport: transport
                        )
                    )
                } catch {
                    return .failure(error)
                }
            },
            logger: logger
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

    /// With `protect_dashboard`: a TCP request without a configured token gets 401, with the Basic challenge a
    /// browser answers by asking for it (any user name, the token as the password).
    static func dashboardRefusal(
        _ request: HTTPServerRequest, _ authenticator: APIAuthenticator
    ) -> HTTPServerResponse? {
        guard case .tcp = request.peer, case .failure(let refusal) = authenticator.tokenHolder(request, basic: true)
        else {
            return nil
        }
        var response = HTTPServerResponse.text(.unauthorized, refusal.message + " (protect_dashboard = true)")
        response.headers.replaceOrAdd(name: "www-authenticate", value: "Basic realm=\"junction\", charset=\"UTF-8\"")
        return response
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
