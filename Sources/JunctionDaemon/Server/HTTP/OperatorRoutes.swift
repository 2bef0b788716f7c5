import JunctionCore
import NIOHTTP1

/// What the operators' routes read, each injected by the daemon (and by tests).
struct OperatorEndpoints: Sendable {
    /// The watchdog's liveness check (nil: none); returns what failed, or nil when alive.
    var liveness: (@Sendable () async -> String?)?
    /// Whether the daemon should receive traffic now.
    var readiness: @Sendable () -> Readiness
    /// The Prometheus text exposition; nil: `/metrics` answers 404.
    var metrics: (@Sendable () -> String)?
    /// The `stats.snapshot` result; nil (or a nil answer): `/api/stats` answers 503.
    var stats: (@Sendable () async -> JSONValue?)?

    /// The endpoints; only readiness is required.
    init(
        liveness: (@Sendable () async -> String?)? = nil,
        readiness: @escaping @Sendable () -> Readiness,
        metrics: (@Sendable () -> String)? = nil,
        stats: (@Sendable () async -> JSONValue?)? = nil
    ) {
        self.liveness = liveness
        self.readiness = readiness
        self.metrics = metrics
        self.stats = stats
    }
}

/// `GET /healthz`, `/readyz`, `/metrics`, `/api/stats` and `/` (the dashboard).
enum OperatorRoutes {
    /// The exposition format's content type (Prometheus text format 0.0.4).
    static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The dashboard may run its own inline script and style and fetch from this origin; nothing else.
    static let dashboardPolicy =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
        + "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// Adds the five routes to `router` (the API adds its own beside them). `refusal`, when given, is asked
    /// first on every request: a response from it (the token check of `protect_dashboard`) is the answer.
    static func add(
        to router: inout HTTPRouter,
        _ endpoints: OperatorEndpoints,
        refusal: (@Sendable (HTTPServerRequest) -> HTTPServerResponse?)? = nil
    ) {
        var routes = HTTPRouter()
        Self.addOpen(to: &routes, endpoints)
        for (entry, route) in routes.handlers {
            let handler: HTTPHandler
            if let refusal {
                handler = { request in
                    if let refused = refusal(request) { return refused }
                    return try await route(request)
                }
            } else {
                handler = route
            }
            router.add(HTTPMethod(rawValue: entry.method), entry.path, maxBodyBytes: entry.maxBodyBytes, handler)
        }
    }

    private static func addOpen(to router: inout HTTPRouter, _ endpoints: OperatorEndpoints) {
        router.add(.GET, "/healthz") { _ in
            if let problem = await endpoints.liveness?() { return .text(.serviceUnavailable, "unhealthy: \(problem)") }
            return .text(.ok, "ok")
        }
        router.add(.GET, "/readyz") { request in
            let readiness = endpoints.readiness()
            let status: HTTPResponseStatus = readiness.isReady ? .ok : .serviceUnavailable
            if Self.wantsJSON(request) {
                return .json(status, ["ready": .bool(readiness.isReady), "reason": .string(readiness.reason)])
            }
            return .text(status, readiness.isReady ? readiness.reason : "not ready: \(readiness.reason)")
        }
        router.add(.GET, "/metrics") { _ in
            guard let metrics = endpoints.metrics else {
                throw HTTPError(status: .notFound, message: "metrics are not enabled in this daemon")
            }
            return .bytes(.ok, contentType: Self.metricsContentType, Array(metrics().utf8))
        }
        router.add(.GET, "/api/stats") { _ in
            guard let stats = endpoints.stats else {
                throw HTTPError(status: .serviceUnavailable, message: "stats are not available in this daemon")
            }
            guard let snapshot = await stats() else {
                throw HTTPError(status: .serviceUnavailable, message: "stats are not available yet")
            }
            return .json(.ok, snapshot)
        }
        router.add(.GET, "/") { _ in
            var response = HTTPServerResponse.bytes(.ok, contentType: "text/html; charset=utf-8", DashboardPage.bytes)
            response.headers.add(name: "content-security-policy", value: Self.dashboardPolicy)
            response.headers.add(name: "referrer-policy", value: "no-referrer")
            return response
        }
    }

    /// `?format=json` or an `Accept` naming `application/json`.
    static func wantsJSON(_ request: HTTPServerRequest) -> Bool {
        if let query = request.query, query.split(separator: "&").contains("format=json") { return true }
        return request.headers[canonicalForm: "accept"].contains { $0.lowercased().hasPrefix("application/json") }
    }
}

/// The dashboard page (`Resources/dashboard.html`, compiled into the binary).
enum DashboardPage {
    /// The page's bytes, as served.
    static let bytes: [UInt8] = PackageResources.dashboard_html
}
