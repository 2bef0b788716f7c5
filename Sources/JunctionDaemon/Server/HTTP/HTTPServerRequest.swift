import NIOCore
import NIOHTTP1

/// Who sent an HTTP request: a TCP peer's address, or a Unix-socket peer's kernel-reported credentials.
enum HTTPPeer: Sendable, Equatable, CustomStringConvertible {
    /// The remote IP address and port.
    case tcp(address: String, port: Int)
    /// The connecting process's uid, gid, pid and groups (`SO_PEERCRED`).
    case unix(PeerCredentials)

    var description: String {
        switch self {
        case .tcp(let address, let port): address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
        case .unix(let credentials): "unix \(credentials)"
        }
    }

    /// The peer of an accepted TCP channel (unknown addresses read as `?:0`).
    init(remote: SocketAddress?) {
        self = .tcp(address: remote?.ipAddress ?? "?", port: remote?.port ?? 0)
    }
}

/// One whole HTTP request as a handler sees it: the head, the body read in full (within the server's body
/// limit), and who sent it.
struct HTTPServerRequest: Sendable {
    /// The request line and headers, as decoded.
    var head: HTTPRequestHead
    /// The whole body (empty for none).
    var body: ByteBuffer
    var peer: HTTPPeer

    /// The request's method (`HEAD` reaches a `GET` handler as `HEAD`).
    var method: HTTPMethod { self.head.method }
    /// The request's headers, as sent.
    var headers: HTTPHeaders { self.head.headers }

    /// The target's path, without the query (absolute-form targets `http://host/path` are reduced to the path).
    var path: String { Self.split(self.head.uri).path }

    /// The query string without `?`, nil when there is none.
    var query: String? { Self.split(self.head.uri).query }

    /// A request target's path and query.
    static func split(_ uri: String) -> (path: String, query: String?) {
        var target = Substring(uri)
        if !target.hasPrefix("/"), let scheme = target.range(of: "://") {
            target = target[scheme.upperBound...]
            target = target.firstIndex(of: "/").map { target[$0...] } ?? "/"
        }
        if let hash = target.firstIndex(of: "#") { target = target[..<hash] }
        guard let mark = target.firstIndex(of: "?") else { return (String(target), nil) }
        return (String(target[..<mark]), String(target[target.index(after: mark)...]))
    }
}
