/// Where the HTTP server listens: TCP addresses and/or one Unix socket.
enum HTTPListenTarget: Sendable, Equatable, CustomStringConvertible {
    case tcp(HTTPListenAddress)
    /// The socket file gets `mode` and, when set, the group `groupName` after bind.
    case unix(path: String, mode: UInt32, groupName: String?)

    var description: String {
        switch self {
        case .tcp(let address): "\(address)"
        case .unix(let path, _, _): "unix:\(path)"
        }
    }
}

/// The HTTP server's limits, fixed at start.
struct HTTPServerSettings: Sendable, Equatable {
    /// Connections served at once; more are answered 503 and closed.
    var maxConnections = 256
    /// The request line and headers, at most (431).
    var maxHeaderBytes = 16_384
    /// A request body, at most, unless the route sets its own (413).
    var maxBodyBytes = 1_048_576
    /// How long a connection may wait for a request, or a request for its next part.
    var idleTimeout: Duration = .seconds(60)
    /// How long in-flight responses may take once draining starts; then every connection is closed.
    var drainTimeout: Duration = .seconds(10)
    /// After a response that closes the connection: how long the client has to read it and hang up.
    var lingerTimeout: Duration = .seconds(2)

    /// The limits `[http]` sets, with the daemon's `[server] drain_timeout`.
    init(config: HTTPConfig, drainTimeout: Duration) {
        self.maxConnections = config.maxConnections
        self.maxHeaderBytes = config.maxHeaderBytes
        self.maxBodyBytes = config.maxBodyBytes
        self.idleTimeout = config.idleTimeout
        self.drainTimeout = drainTimeout
    }

    /// The defaults (tests set the fields they need).
    init() {}

    /// The listeners `[http]` names.
    static func targets(of config: HTTPConfig) -> [HTTPListenTarget] {
        var targets = config.listen.map(HTTPListenTarget.tcp)
        if let path = config.listenUnix {
            targets.append(.unix(path: path, mode: config.unixMode, groupName: config.unixGroup))
        }
        return targets
    }
}
