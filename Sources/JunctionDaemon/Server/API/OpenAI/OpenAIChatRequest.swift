import JunctionCore

/// An OpenAI Chat Completions request body, as `generate` params: the fields Junction uses are translated and
/// validated; fields that do not change what Junction does are ignored (and named in the debug log).
struct OpenAIChatRequest: Sendable {
    var parsed: GenerateParams.Parsed
    /// `stream_options.include_usage`: a usage chunk (`choices: []`) before `[DONE]`.
    var includeUsage: Bool
    /// Body fields that were ignored.
    var ignored: [String]

    /// Fields that would change the answer and that Junction cannot honour: refused instead of ignored.
    static let unsupported: Set<String> = ["tools", "functions", "tool_choice", "function_call", "audio", "modalities"]
    /// Fields read here; every other field is ignored.
    static let used: Set<String> = [
        "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop", "seed", "user",
        "response_format", "stream", "stream_options", "n", "junction", "metadata",
    ]

    /// The request in `body`; a problem is a 400 naming the field.
    static func parse(_ body: JSONValue, routing: RoutingTable) throws(APIFailure) -> OpenAIChatRequest {
        guard case .object(let object) = body else {
            throw .invalid(nil, "the request body must be a JSON object (an OpenAI Chat Completions request)")
        }
        var params = JSONObject()
        var ignored: [String] = []
        for member in object.members where !Self.used.contains(member.key) {
            if Self.unsupported.contains(member.key), !Self.isEmpty(member.value) {
                throw .invalid(member.key, "\(member.key) is not supported by Junction (text chat only)")
            }
            ignored.append(member.key)
        }
        guard let model = object["model"]?.stringValue, !model.isEmpty else {
            throw .invalid("model", "model is required: provider:model, provider/model, a model id or a route name")
        }
        APIRequestOptions.addModel(model, routing: routing, to: &params)
        params["messages"] = .array(try self.messages(object["messages"]))
        if let n = object["n"], n != .null, n.intValue != 1 {
            throw .invalid("n", "n must be 1: Junction returns one choice per request")
        }
        let maxTokens = object["max_completion_tokens"].flatMap { $0 == .null ? nil : $0 } ?? object["max_tokens"]
        if let maxTokens, maxTokens != .null { params["max_tokens"] = maxTokens }
        for key in ["temperature", "top_p", "stop", "seed", "response_format", "stream"] {
            if let value = object[key], value != .null { params[key] = value }
        }
        if let user = object["user"], user != .null {
            guard let label = user.stringValue else { throw .invalid("user", "user must be a string") }
            if !label.isEmpty { params["client"] = .string(label) }
        }
        if let metadata = object["metadata"], metadata != .null { params["metadata"] = metadata }
        let includeUsage = try self.includeUsage(object["stream_options"])
        try APIRequestOptions.addJunction(object["junction"], to: &params)
        let fields = ["max_tokens": object["max_completion_tokens"] != nil ? "max_completion_tokens" : "max_tokens"]
        let parsed = try APIRequestOptions.parse(params, fields: fields)
        return OpenAIChatRequest(parsed: parsed, includeUsage: includeUsage, ignored: ignored)
    }

    /// `stream_options`: `include_usage` is read; other keys are accepted and ignored.
    private static func includeUsage(_ value: JSONValue?) throws(APIFailure) -> Bool {
        switch value {
        case nil, .null?: return false
        case .object(let options)?:
            guard let flag = options["include_usage"], flag != .null else { return false }
            guard let include = flag.boolValue else {
                throw .invalid("stream_options.include_usage", "stream_options.include_usage must be true or false")
            }
            return include
        default:
            throw .invalid("stream_options", "stream_options must be an object")
        }
    }

    /// OpenAI messages as `generate`'s `{role, content}`: `developer` is a system message; content parts of type
    /// `text` are joined; other parts and tool messages are refused.
    private static func messages(_ value: JSONValue?) throws(APIFailure) -> [JSONValue] {
        guard case .array(let elements)? = value, !elements.isEmpty else {
            throw .invalid("messages", "messages must be a non-empty array of {role, content}")
        }
        var messages: [JSONValue] = []
        messages.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            let field = "messages[\(index)]"
            guard case .object(let message) = element else {
                throw .invalid(field, "\(field) must be an object {role, content}")
            }
            let role: String
            switch message["role"]?.stringValue {
            case "system"?, "developer"?: role = "system"
            case "user"?: role = "user"
            case "assistant"?: role = "assistant"
            case let other?:
                throw .invalid("\(field).role", "\(field).role \"\(other)\" is not supported (system, developer, user, assistant)")
            case nil:
                throw .invalid("\(field).role", "\(field).role is required")
            }
            if let calls = message["tool_calls"], !Self.isEmpty(calls) {
                throw .invalid("\(field).tool_calls", "\(field).tool_calls is not supported by Junction (text chat only)")
            }
            let content = try self.text(message["content"], field: "\(field).content")
            messages.append(["role": .string(role), "content": .string(content)])
        }
        return messages
    }

    /// A message's content: a string, or an array of `{type: "text", text}` parts joined.
    private static func text(_ value: JSONValue?, field: String) throws(APIFailure) -> String {
        switch value {
        case .string(let text)?:
            return text
        case .array(let parts)?:
            var text = ""
            for (index, part) in parts.enumerated() {
                guard case .object(let object) = part, object["type"]?.stringValue == "text",
                    let piece = object["text"]?.stringValue
                else {
                    throw .invalid(
                        "\(field)[\(index)]", "\(field)[\(index)] must be a text part {type: \"text\", text} (Junction carries text only)"
                    )
                }
                text += piece
            }
            return text
        default:
            throw .invalid(field, "\(field) must be a string or an array of text parts")
        }
    }

    private static func isEmpty(_ value: JSONValue) -> Bool {
        switch value {
        case .null: true
        case .array(let elements): elements.isEmpty
        case .string(let text): text == "none"
        default: false
        }
    }
}
