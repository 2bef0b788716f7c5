import JunctionCore

/// One message from the daemon as a client reads it: the answer to a call, or a notification (stream deltas,
/// events).
public enum RPCReply: Sendable, Equatable {
    case response(id: RequestID, outcome: Result<JSONValue, RPCError>)
    case notification(method: String, params: JSONValue)
}

/// Why a message from the daemon could not be read as JSON-RPC 2.0.
public struct RPCMalformedReply: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

extension RPCDecoder {
    /// Reads one message a server sent (a response or a notification; batches are not replies to `RPCClient`).
    public static func reply(from value: JSONValue) throws(RPCMalformedReply) -> RPCReply {
        guard case .object(let object) = value else {
            throw RPCMalformedReply("expected a JSON-RPC object, got \(value.typeName)")
        }
        guard object["jsonrpc"] == .string("2.0") else { throw RPCMalformedReply("\"jsonrpc\" is not \"2.0\"") }
        guard let rawID = object["id"] else {
            guard let method = object["method"]?.stringValue else {
                throw RPCMalformedReply("a message without an id must be a notification with a \"method\"")
            }
            return .notification(method: method, params: object["params"] ?? .null)
        }
        guard let id = RequestID(rawID) else { throw RPCMalformedReply("id must be a string, a number or null") }
        switch (object["result"], object["error"]) {
        case (let result?, nil):
            return .response(id: id, outcome: .success(result))
        case (nil, let error?):
            guard let error = RPCError(json: error) else {
                throw RPCMalformedReply("\"error\" must be an object with an integer \"code\" and a string \"message\"")
            }
            return .response(id: id, outcome: .failure(error))
        default:
            throw RPCMalformedReply("a response must have exactly one of \"result\" and \"error\"")
        }
    }
}
