import JunctionCore

/// An Anthropic Messages request body, as `generate` params: the fields Junction uses are translated and
/// validated; fields that do not change what Junction does are ignored (and named in the debug log).
struct AnthropicMessagesRequest: Sendable {
    var parsed: GenerateParams.Parsed
    /// Body fields that were ignored.
    var ignored: [String]

    /// Fields that would change the answer and that Junction cannot honour: refused instead of ignored.
    static let unsupported: Set<String> = ["tools", "tool_choice", "mcp_servers", "container"]
    /// Fields read here; every other field is ignored.
    static let used: Set<String> = [
        "model", "messages", "system", "max_tokens", "temperature", "top_p", "stop_sequences", "stream", "metadata",
        "thinking", "output_format", "output_config", "junction",
    ]

    /// The request in `body`; `forCounting`: a `count_tokens` body, which has no `max_tokens`. A problem is a 400
    /// naming the field.
    static func parse(
        _ body: JSONValue, routing: RoutingTable, forCounting: Bool = false
    ) throws(APIFailure) -> AnthropicMessagesRequest {
        guard case .object(let object) = body else {
            throw .invalid(nil, "the request body must be a JSON object (an Anthropic Messages request)")
        }
        var params = JSONObject()
        var ignored: [String] = []
        for member in object.members where !Self.used.contains(member.key) {
            if Self.unsupported.contains(member.key), !Self.isEmpty(member.value) {
                throw .invalid(member.key, "\(member.key) is not supported by Junction (text messages only)")
            }
            ignored.append(member.key)
        }
        guard let model = object["model"]?.stringValue, !model.isEmpty else {
            throw .invalid("model", "model is required: provider:model, provider/model, a model id or a route name")
        }
        APIRequestOptions.addModel(model, routing: routing, to: &params)
        params["messages"] = .array(try self.messages(object["messages"]))
        if let system = object["system"], system != .null {
            params["system"] = .string(try self.text(system, field: "system"))
        }
        if let maxTokens = object["max_tokens"], maxTokens != .null {
            params["max_tokens"] = maxTokens
        } else if !forCounting {
            throw .invalid("max_tokens", "max_tokens is required: the most tokens the answer may have")
        }
        for key in ["temperature", "top_p", "stream"] {
            if let value = object[key], value != .null { params[key] = value }
        }
        if forCounting { params["stream"] = nil }
        if let stop = object["stop_sequences"], stop != .null { params["stop"] = stop }
        var fields = ["stop": "stop_sequences", "response_format": "output_format"]
        if let format = object["output_format"], format != .null { params["response_format"] = format }
        let config = try self.outputConfig(object["output_config"])
        if let format = config.format {
            params["response_format"] = format
            fields["response_format"] = "output_config.format"
        }
        try self.addThinking(object["thinking"], effort: config.effort, to: &params)
        if case .object(let metadata)? = object["metadata"] {
            // Anthropic's end-user id is Junction's client label, as OpenAI's `user` is.
            if let user = metadata["user_id"], user != .null {
                guard let label = user.stringValue else {
                    throw .invalid("metadata.user_id", "metadata.user_id must be a string")
                }
                if !label.isEmpty { params["client"] = .string(label) }
            }
        } else if let metadata = object["metadata"], metadata != .null {
            throw .invalid("metadata", "metadata must be an object {user_id?}")
        }
        try APIRequestOptions.addJunction(object["junction"], to: &params)
        let parsed = try APIRequestOptions.parse(params, fields: fields)
        return AnthropicMessagesRequest(parsed: parsed, ignored: ignored)
    }

    /// `output_config`: `format` (the structured output, as the older `output_format`) and `effort` (how much
    /// an adaptive thinker thinks; without adaptive thinking it changes nothing Junction sends).
    private static func outputConfig(_ value: JSONValue?) throws(APIFailure) -> (format: JSONValue?, effort: String?) {
        guard let value, value != .null else { return (nil, nil) }
        guard case .object(let config) = value else {
            throw .invalid("output_config", "output_config must be an object {format?, effort?}")
        }
        var effort: String?
        if let value = config["effort"], value != .null {
            guard let text = value.stringValue, AdaptiveThinking.efforts.contains(text) else {
                throw .invalid(
                    "output_config.effort",
                    "output_config.effort must be one of \(AdaptiveThinking.efforts.joined(separator: ", "))"
                )
            }
            effort = text
        }
        let format = config["format"].flatMap { $0 == .null ? nil : $0 }
        return (format, effort)
    }

    /// `thinking`: `{type: "enabled", budget_tokens}` sets the budget; `{type: "adaptive"}` lets the model decide
    /// (with `output_config.effort`); `{type: "disabled"}` none.
    private static func addThinking(
        _ value: JSONValue?,
        effort: String?,
        to params: inout JSONObject
    ) throws(APIFailure) {
        guard let value, value != .null else { return }
        guard case .object(let thinking) = value else {
            throw .invalid("thinking", "thinking must be an object {type: \"enabled\", budget_tokens}")
        }
        switch thinking["type"]?.stringValue {
        case "enabled"?:
            guard let budget = thinking["budget_tokens"] else {
                throw .invalid("thinking.budget_tokens", "thinking.budget_tokens is required when thinking is enabled")
            }
            params["thinking"] = ["budget_tokens": budget]
        case "adaptive"?:
            var adaptive: JSONObject = ["type": "adaptive"]
            if let effort { adaptive["effort"] = .string(effort) }
            params["thinking"] = .object(adaptive)
        case "disabled"?:
            return
        default:
            throw .invalid("thinking.type", "thinking.type must be \"enabled\", \"adaptive\" or \"disabled\"")
        }
    }

    /// Anthropic messages as `generate`'s `{role, content}`: text blocks are joined; thinking blocks of earlier
    /// turns are left out (providers see only the text); other blocks are refused.
    private static func messages(_ value: JSONValue?) throws(APIFailure) -> [JSONValue] {
        guard case .array(let elements)? = value, !elements.isEmpty else {
            throw .invalid("messages", "messages must be a non-empty array of {role, content}")
        }
        var messages: [JSONValue] = []
        messages.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            let field = "messages.\(index)"
            guard case .object(let message) = element else {
                throw .invalid(field, "\(field) must be an object {role, content}")
            }
            let role: String
            switch message["role"]?.stringValue {
            case "user"?: role = "user"
            case "assistant"?: role = "assistant"
            case let other?:
                throw .invalid("\(field).role", "\(field).role \"\(other)\" is not supported (user, assistant)")
            case nil:
                throw .invalid("\(field).role", "\(field).role is required")
            }
            let content = try self.text(message["content"], field: "\(field).content")
            messages.append(["role": .string(role), "content": .string(content)])
        }
        return messages
    }

    /// Content as a string, or an array of `{type: "text", text}` blocks joined (thinking blocks skipped).
    private static func text(_ value: JSONValue?, field: String) throws(APIFailure) -> String {
        switch value {
        case .string(let text)?:
            return text
        case .array(let blocks)?:
            var text = ""
            for (index, block) in blocks.enumerated() {
                guard case .object(let object) = block else {
                    throw .invalid("\(field).\(index)", "\(field).\(index) must be a content block {type, ...}")
                }
                switch object["type"]?.stringValue {
                case "text"?:
                    guard let piece = object["text"]?.stringValue else {
                        throw .invalid("\(field).\(index).text", "\(field).\(index).text must be a string")
                    }
                    text += piece
                case "thinking"?, "redacted_thinking"?:
                    continue
                case let other:
                    throw .invalid(
                        "\(field).\(index).type",
                        "\(field).\(index) is a \(other ?? "untyped") block: Junction carries text only"
                    )
                }
            }
            return text
        default:
            throw .invalid(field, "\(field) must be a string or an array of text blocks")
        }
    }

    private static func isEmpty(_ value: JSONValue) -> Bool {
        switch value {
        case .null: true
        case .array(let elements): elements.isEmpty
        default: false
        }
    }
}
