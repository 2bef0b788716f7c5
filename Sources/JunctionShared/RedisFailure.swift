/// Why an operation did not reach Redis; the caller goes on with its local view.
public enum RedisFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The Redis breaker is open (recent errors or timeouts), or the client is stopped.
    case unavailable(String)
    /// No answer within `[shared] timeout`.
    case timeout
    /// The connection failed (refused, reset, timed out reading).
    case connection(RedisConnectionError)
    /// The server refused the operation (`OOM`, `READONLY`, `LOADING`, a script error).
    case server(String)

    public var description: String {
        switch self {
        case .unavailable(let why): "unavailable: \(why)"
        case .timeout: "timed out"
        case .connection(let error): "connection: \(error)"
        case .server(let message): "server: \(message)"
        }
    }
}
