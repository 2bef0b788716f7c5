import JunctionCore

/// A JSON-RPC request id: a string, a number (kept as its literal text) or null.
public enum RequestID: Hashable, Sendable, CustomStringConvertible {
    case string(String)
    case number(String)
    case null

    /// Reads an id as it appears on the wire; nil for anything but a string, a number or null.
    public init?(_ value: JSONValue) {
        switch value {
        case .string(let text): self = .string(text)
        case .number(let text): self = .number(text)
        case .null: self = .null
        default: return nil
        }
    }

    /// The id as it goes back on the wire, exactly as it came.
    public var json: JSONValue {
        switch self {
        case .string(let text): .string(text)
        case .number(let text): .number(text)
        case .null: .null
        }
    }

    public var description: String {
        switch self {
        case .string(let text): text
        case .number(let text): text
        case .null: "null"
        }
    }
}

/// One call decoded from the wire. `id == nil` marks a notification, which is never answered.
public struct RPCRequest: Sendable {
    public var id: RequestID?
    public var method: String
    /// Absent, an object or an array (anything else is rejected before a request is formed).
    public var params: JSONValue?

    public var isNotification: Bool { self.id == nil }

    public init(id: RequestID?, method: String, params: JSONValue? = nil) {
        self.id = id
        self.method = method
        self.params = params
    }
}

/// What one line of input turned out to be.
public enum RPCInbound: Sendable {
    /// A single request or notification.
    case single(RPCRequest)
    /// A batch: each element is either a request or the error that element must be answered with.
    case batch([Result<RPCRequest, RPCFailure>])
    /// The line could not be used at all; answer this (always with id null, or the id when one was readable).
    case failure(RPCFailure)
    /// Whitespace only: nothing to do.
    case empty
}

/// An error answer that is ready to go, with the id to answer it under.
public struct RPCFailure: Error, Sendable {
    public var id: RequestID
    public var error: RPCError

    public init(id: RequestID, error: RPCError) {
        self.id = id
        self.error = error
    }
}

/// What one line may hold before it is refused (-32600), whatever its size in bytes.
public struct DecodeLimits: Sendable, Equatable {
    /// The deepest nesting of arrays and objects (`max_json_depth`).
    public var maxDepth: Int
    /// The most members one object may have (`max_json_keys`).
    public var maxKeys: Int
    /// The most requests one batch may hold (`max_batch_size`).
    public var maxBatchSize: Int

    public init(maxDepth: Int = 64, maxKeys: Int = 10_000, maxBatchSize: Int = 1_000) {
        self.maxDepth = maxDepth
        self.maxKeys = maxKeys
        self.maxBatchSize = maxBatchSize
    }
}

/// Reads what a client sends: requests, notifications and batches of them.
public enum RPCDecoder {
    /// Decodes one line of the RPC stream with the default limits and a nesting limit of `maxDepth`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, maxDepth: Int) -> RPCInbound {
        Self.decode(bytes, limits: DecodeLimits(maxDepth: maxDepth))
    }

    /// Decodes one line of the RPC stream.
    public static func decode(_ bytes: UnsafeRawBufferPointer, limits: DecodeLimits) -> RPCInbound {
        if bytes.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) {
            return .empty
        }
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes, maxDepth: limits.maxDepth, maxKeys: limits.maxKeys)
        } catch {
            switch error.reason {
            case .tooDeep:
                return .failure(
                    RPCFailure(
                        id: .null,
                        error: .invalidRequest("JSON nested deeper than \(limits.maxDepth) levels (max_json_depth)")
                    )
                )
            case .tooManyKeys:
                return .failure(
                    RPCFailure(
                        id: .null,
                        error: .invalidRequest("an object has more than \(limits.maxKeys) keys (max_json_keys)")
                    )
                )
            default:
                return .failure(RPCFailure(id: .null, error: .parseError(error.description)))
            }
        }
        switch document {
        case .array(let elements):
            if elements.isEmpty {
                return .failure(RPCFailure(id: .null, error: .invalidRequest("empty batch")))
            }
            if elements.count > limits.maxBatchSize {
                return .failure(
                    RPCFailure(
                        id: .null,
                        error: .invalidRequest(
                            "batch of \(elements.count) requests exceeds the limit of \(limits.maxBatchSize) "
                                + "(max_batch_size); send it as several batches"
                        )
                    )
                )
            }
            return .batch(elements.map { element in Result { () throws(RPCFailure) in try Self.request(from: element) } })
        default:
            do {
                return .single(try Self.request(from: document))
            } catch {
                return .failure(error)
            }
        }
    }

    /// Validates one request object as JSON-RPC 2.0 requires.
    public static func request(from value: JSONValue) throws(RPCFailure) -> RPCRequest {
        guard case .object(let object) = value else {
            throw RPCFailure(id: .null, error: .invalidRequest("expected a request object, got \(value.typeName)"))
        }
        var id: RequestID?
        if let rawID = object["id"] {
            guard let parsed = RequestID(rawID) else {
                throw RPCFailure(id: .null, error: .invalidRequest("id must be a string, a number or null"))
            }
            id = parsed
        }
        let answerID = id ?? .null
        guard object["jsonrpc"] == .string("2.0") else {
            throw RPCFailure(id: answerID, error: .invalidRequest("\"jsonrpc\" must be exactly \"2.0\""))
        }
        guard let method = object["method"]?.stringValue else {
            throw RPCFailure(id: answerID, error: .invalidRequest("\"method\" must be a string"))
        }
        let params = object["params"]
        switch params {
        case nil, .object?, .array?: break
        default:
            throw RPCFailure(id: answerID, error: .invalidRequest("\"params\" must be an object or an array"))
        }
        return RPCRequest(id: id, method: method, params: params)
    }
}

/// Builds the bytes of outgoing messages: one compact JSON text and a newline each.
public enum RPCEncoder {
    /// A call (`id` set) or a notification (`id` nil); `params` is left out when nil.
    public static func request(id: RequestID?, method: String, params: JSONValue? = nil) -> JSONValue {
        var object: JSONObject = ["jsonrpc": "2.0", "method": .string(method)]
        if let params { object["params"] = params }
        if let id { object["id"] = id.json }
        return .object(object)
    }

    /// The answer to request `id`: its result.
    public static func response(id: RequestID, result: JSONValue) -> JSONValue {
        .object(JSONObject([("jsonrpc", "2.0"), ("result", result), ("id", id.json)]))
    }

    /// The answer to request `id`: its error.
    public static func errorResponse(id: RequestID, error: RPCError) -> JSONValue {
        .object(JSONObject([("jsonrpc", "2.0"), ("error", error.json), ("id", id.json)]))
    }

    /// A message that expects no answer (stream deltas, events).
    public static func notification(method: String, params: JSONValue) -> JSONValue {
        .object(JSONObject([("jsonrpc", "2.0"), ("method", .string(method)), ("params", params)]))
    }

    /// One compact JSON text and its newline: a message as it goes on the wire.
    public static func line(_ message: JSONValue) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(96)
        message.write(to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }
}
