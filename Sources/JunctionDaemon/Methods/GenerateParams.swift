import JunctionCore
import JunctionRPC

/// `generate` params → a validated `ChatRequest`; every problem names its field.
enum GenerateParams {
    /// `generate`'s params, validated.
    struct Parsed: Sendable {
        var request: ChatRequest
        var timeout: Duration?
        var client: String?
    }

    static let known: Set<String> = [
        "prompt", "messages", "system", "model", "route", "max_tokens", "temperature", "top_p", "stop",
        "response_format", "stream", "timeout_ms", "client", "metadata",
    ]

    static func parse(_ raw: JSONValue?) throws(RPCError) -> Parsed {
        let params = try Params(raw, known: self.known)
        let messages = try self.messages(params)
        var request = ChatRequest(messages: messages)
        request.system = try params.string("system")
        request.model = try params.string("model")
        request.route = try params.string("route")
        if request.model != nil, request.route != nil {
            throw .invalidParams(field: "route", problem: "give either model or route, not both")
        }
        request.maxTokens = try params.int("max_tokens", in: 1...10_000_000)
        request.temperature = try self.number(params, "temperature", in: 0...2)
        request.topP = try self.number(params, "top_p", in: 0...1)
        request.stop = try self.stop(params)
        request.responseFormat = try self.responseFormat(params.value("response_format"))
        request.stream = try params.bool("stream") ?? false
        if let metadata = params.value("metadata"), metadata != .null {
            guard case .object(let object) = metadata else {
                throw .invalidParams(field: "metadata", problem: "must be an object")
            }
            request.metadata = object
        }
        let timeout = try params.int("timeout_ms", in: 1...3_600_000).map { Duration.milliseconds($0) }
        return Parsed(request: request, timeout: timeout, client: try params.string("client"))
    }

    private static func messages(_ params: Params) throws(RPCError) -> [ChatMessage] {
        let prompt = try params.string("prompt")
        let list = params.value("messages")
        switch (prompt, list) {
        case (nil, nil), (nil, .null?):
            throw .invalidParams(field: "prompt", problem: "is required (or give messages)")
        case (let prompt?, nil), (let prompt?, .null?):
            // An empty prompt would be sent upstream and billed there for nothing.
            guard !Self.isBlank(prompt) else {
                throw .invalidParams(field: "prompt", problem: "must not be empty or only whitespace")
            }
            return [ChatMessage(role: .user, content: prompt)]
        case (.some, .some):
            throw .invalidParams(field: "messages", problem: "give either prompt or messages, not both")
        case (nil, let value?):
            guard case .array(let elements) = value, !elements.isEmpty else {
                throw .invalidParams(field: "messages", problem: "must be a non-empty array of {role, content}")
            }
            var messages: [ChatMessage] = []
            for (index, element) in elements.enumerated() {
                guard case .object(let object) = element else {
                    throw .invalidParams(field: "messages.\(index)", problem: "must be an object with role and content")
                }
                guard let roleName = object["role"]?.stringValue, let role = ChatMessage.Role(rawValue: roleName) else {
                    throw .invalidParams(field: "messages.\(index).role", problem: "must be system, user or assistant")
                }
                guard let content = object["content"]?.stringValue else {
                    throw .invalidParams(field: "messages.\(index).content", problem: "must be a string")
                }
                for key in object.keys where key != "role" && key != "content" {
                    throw .invalidParams(field: "messages.\(index).\(key)", problem: "is not a message field (role, content)")
                }
                messages.append(ChatMessage(role: role, content: content))
            }
            guard messages.contains(where: { $0.role != .system }) else {
                throw .invalidParams(field: "messages", problem: "needs at least one user or assistant message")
            }
            guard messages.contains(where: { $0.role != .system && !Self.isBlank($0.content) }) else {
                throw .invalidParams(
                    field: "messages",
                    problem: "has no content: every user and assistant message is empty or only whitespace"
                )
            }
            return messages
        }
    }

    private static func isBlank(_ text: String) -> Bool {
        text.allSatisfy(\.isWhitespace)
    }

    private static func number(_ params: Params, _ key: String, in range: ClosedRange<Double>) throws(RPCError) -> Double? {
        guard let value = params.value(key), value != .null else { return nil }
        guard let number = value.doubleValue else { throw .invalidParams(field: key, problem: "must be a number") }
        guard range.contains(number) else {
            throw .invalidParams(field: key, problem: "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return number
    }

    private static func stop(_ params: Params) throws(RPCError) -> [String] {
        switch params.value("stop") {
        case nil, .null?: return []
        case .string(let text)?: return [text]
        case .array(let elements)?:
            let strings = elements.compactMap(\.stringValue)
            guard strings.count == elements.count, strings.count <= 16 else {
                throw .invalidParams(field: "stop", problem: "must be a string or an array of at most 16 strings")
            }
            return strings
        default: throw .invalidParams(field: "stop", problem: "must be a string or an array of strings")
        }
    }

    private static func responseFormat(_ value: JSONValue?) throws(RPCError) -> ResponseFormat {
        switch value {
        case nil, .null?, .string("text")?: return .text
        case .string("json_object")?: return .jsonObject
        case .object(let object)?:
            switch object["type"]?.stringValue {
            case "text": return .text
            case "json_object": return .jsonObject
            case "json_schema":
                guard let schema = object["schema"], case .object = schema else {
                    throw .invalidParams(field: "response_format.schema", problem: "must be a JSON Schema object")
                }
                return .jsonSchema(name: object["name"]?.stringValue ?? "response", schema: schema)
            default:
                throw .invalidParams(field: "response_format.type", problem: "must be text, json_object or json_schema")
            }
        default:
            throw .invalidParams(
                field: "response_format",
                problem: "must be \"text\", \"json_object\" or {\"type\": \"json_schema\", \"schema\": {...}}"
            )
        }
    }
}
