/// One RESP reply, copied out of hiredis' reply tree.
public enum RedisValue: Sendable, Equatable {
    case string([UInt8])
    case status(String)
    case integer(Int64)
    case array([RedisValue])
    case null
    /// The server refused the command (`ERR …`, `NOSCRIPT …`, `OOM …`); not a connection failure.
    case error(String)

    /// The reply as an integer (an integer reply, or a string of digits).
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .string(let bytes): Int64(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }

    /// The reply as text (a bulk string or a status).
    public var text: String? {
        switch self {
        case .string(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }

    public var array: [RedisValue]? {
        if case .array(let values) = self { values } else { nil }
    }

    public var isError: Bool {
        if case .error = self { true } else { false }
    }
}
