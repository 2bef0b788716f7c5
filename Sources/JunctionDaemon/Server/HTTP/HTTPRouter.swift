import NIOHTTP1

/// Handles one request. A thrown `HTTPError` becomes its response; any other error a 500.
typealias HTTPHandler = @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse

/// Method and exact path to handler. `HEAD` is answered by the `GET` handler with the body left out; a path
/// known for other methods answers 405 with `Allow`; an unknown path 404.
struct HTTPRouter: Sendable {
    /// What a request's method and path lead to.
    enum Match: Sendable {
        case handler(HTTPHandler, route: Route)
        case notFound
        case methodNotAllowed(allow: [String])
    }

    /// A route's settings, beside its handler.
    struct Route: Sendable, Equatable {
        var method: String
        var path: String
        /// The largest body this route accepts; nil: the server's `max_body_bytes`.
        var maxBodyBytes: Int?
    }

    private var routes: [String: [(route: Route, handler: HTTPHandler)]] = [:]

    /// A router with no routes (everything 404).
    init() {}

    /// Adds a route; a later one for the same method and path replaces the earlier.
    mutating func add(
        _ method: HTTPMethod, _ path: String, maxBodyBytes: Int? = nil, _ handler: @escaping HTTPHandler
    ) {
        let route = Route(method: method.rawValue, path: path, maxBodyBytes: maxBodyBytes)
        self.routes[path, default: []].removeAll { $0.route.method == route.method }
        self.routes[path, default: []].append((route, handler))
    }

    /// Where a request for `method` and `path` goes.
    func match(method: HTTPMethod, path: String) -> Match {
        guard let candidates = self.routes[path] else { return .notFound }
        let name = method == .HEAD ? "GET" : method.rawValue
        if let found = candidates.first(where: { $0.route.method == name }) {
            return .handler(found.handler, route: found.route)
        }
        var allow = candidates.map(\.route.method)
        if allow.contains("GET") { allow.append("HEAD") }
        return .methodNotAllowed(allow: allow.sorted())
    }

    /// Every route and its handler (to wrap a set of routes before adding them elsewhere).
    var handlers: [(route: Route, handler: HTTPHandler)] {
        self.routes.keys.sorted().flatMap { path in
            self.routes[path, default: []].map { ($0.route, $0.handler) }
        }
    }

    /// The paths routed, for logs and tests.
    var paths: [String] { self.routes.keys.sorted() }
}
