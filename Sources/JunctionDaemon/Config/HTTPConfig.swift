/// `[http]`: the operators' HTTP listener (`/healthz`, `/readyz`, `/metrics`, `/api/stats`, the dashboard).
/// Off unless `listen` or `listen_unix` is set. Read at start only: a reload that changes it is warned about.
struct HTTPConfig: Sendable, Equatable {
    /// TCP addresses to listen on; empty: no TCP listener.
    var listen: [HTTPListenAddress] = []
    /// A Unix socket path to listen on; nil: none.
    var listenUnix: String?
    /// The Unix socket file's mode, set after bind.
    var unixMode: UInt32 = 0o660
    /// nil: the socket keeps the daemon's group.
    var unixGroup: String?
    /// Binding an address other than loopback needs this (and logs a warning).
    var allowRemote = false
    /// Open connections at most; more are answered 503 and closed.
    var maxConnections = 256
    /// The request line and headers together, at most (larger: 431).
    var maxHeaderBytes = 16_384
    /// A request body, at most (larger: 413).
    var maxBodyBytes = 1_048_576
    /// A keep-alive connection with no request for this long is closed; so is a request that stops arriving.
    var idleTimeout: Duration = .seconds(60)
    /// `[http.tokens.NAME]`: the bearer tokens TCP callers of the API present, each naming its client label.
    var tokens: [HTTPTokenConfig] = []
    /// Whether `/metrics`, `/healthz`, `/readyz`, `/api/stats` and the dashboard need a token on TCP too.
    var protectDashboard = false

    /// Whether the listener is configured at all.
    var isEnabled: Bool { !self.listen.isEmpty || self.listenUnix != nil }
}

/// One `http.listen` entry: an IP literal and a port (`127.0.0.1:9470`, `[::1]:9470`; `localhost` is
/// 127.0.0.1). Port 0 picks a free port, which the daemon logs.
struct HTTPListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// The IP literal, without brackets.
    var host: String
    /// 0: a free port, picked at bind.
    var port: Int
    var isIPv6: Bool

    var description: String { self.isIPv6 ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)" }
}

/// `[http.tokens.NAME]`: where one API token is read from (when the listener starts), and the client label its
/// holder's requests carry (budgets and the ledger use it). The token itself is never part of the config value.
struct HTTPTokenConfig: Sendable, Equatable {
    var name: String
    var source: KeySource
}
