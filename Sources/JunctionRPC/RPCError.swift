import JunctionCore

/// A JSON-RPC error object: what a failed request answers.
///
/// Messages are written for the person reading them and never carry a stack trace, a file path of the daemon's
/// internals or a secret. `data` holds machine-readable details (the field that was wrong, how long to wait).
public struct RPCError: Error, Sendable, Equatable {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var json: JSONValue {
        var object: JSONObject = ["code": .int(self.code), "message": .string(self.message)]
        if let data = self.data { object["data"] = data }
        return .object(object)
    }

    /// Reads an error object as a response carries it; nil unless `code` is an integer and `message` a string.
    public init?(json: JSONValue) {
        guard let code = json["code"]?.intValue, let message = json["message"]?.stringValue else { return nil }
        self.init(code: code, message: message, data: json["data"])
    }
}

extension RPCError: CustomStringConvertible {
    /// `error CODE: MESSAGE`, as `junctionctl` prints it.
    public var description: String { "error \(self.code): \(self.message)" }
}

/// Every error code Junction answers with. The standard JSON-RPC 2.0 codes first, then Junction's own in
/// -32000...-32099; `rpc-schema/openrpc.json` lists the same set (a test keeps the two in step).
public enum RPCErrorCode: Int, CaseIterable, Sendable {
    case parseError = -32700
    case invalidRequest = -32600
    case methodNotFound = -32601
    case invalidParams = -32602
    case internalError = -32603
    case noProviderAvailable = -32001
    case rateLimited = -32002
    case budgetExhausted = -32003
    case permissionDenied = -32004
    case cancelled = -32005
    case upstreamError = -32006
    case timeout = -32007
    case overloaded = -32008
    case configInvalid = -32009
    /// The ledger is disabled, could not be opened, or could not answer (usage.get, usage.export).
    case ledgerUnavailable = -32010
    /// No target produced JSON that validates against the caller's `response_format` (`data.violations`).
    case structuredOutputInvalid = -32011
}

extension RPCError {
    public static func parseError(_ detail: String) -> RPCError {
        RPCError(code: RPCErrorCode.parseError.rawValue, message: "Parse error: \(detail)")
    }

    public static func invalidRequest(_ detail: String) -> RPCError {
        RPCError(code: RPCErrorCode.invalidRequest.rawValue, message: "Invalid request: \(detail)")
    }

    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(
            code: RPCErrorCode.methodNotFound.rawValue,
            message: "Method not found: \(method)",
            data: ["method": .string(method)]
        )
    }

    /// Invalid params, naming the offending field (a dotted path such as `messages.2.role`) and the problem.
    public static func invalidParams(field: String, problem: String) -> RPCError {
        RPCError(
            code: RPCErrorCode.invalidParams.rawValue,
            message: "Invalid params: \(field.isEmpty ? "params" : field) \(problem)",
            data: ["field": .string(field), "problem": .string(problem)]
        )
    }

    public static let internalError = RPCError(
        code: RPCErrorCode.internalError.rawValue,
        message: "Internal error (details are in the daemon's log)"
    )

    public static func permissionDenied(method: String) -> RPCError {
        RPCError(
            code: RPCErrorCode.permissionDenied.rawValue,
            message: "Permission denied: \(method) requires root, the daemon's user or the admin group",
            data: ["method": .string(method)]
        )
    }

    public static let cancelled = RPCError(code: RPCErrorCode.cancelled.rawValue, message: "Request cancelled")

    public static func overloaded(_ reason: String) -> RPCError {
        RPCError(code: RPCErrorCode.overloaded.rawValue, message: reason)
    }

    public static let shuttingDown = RPCError.overloaded("Junction is shutting down")

    /// What a request or a connection hears while the daemon has no file descriptor to spare (-32008).
    public static let outOfFileDescriptorsMessage = "Overloaded: out of file descriptors; try again shortly"

    public static let outOfFileDescriptors = RPCError.overloaded(Self.outOfFileDescriptorsMessage)
}
