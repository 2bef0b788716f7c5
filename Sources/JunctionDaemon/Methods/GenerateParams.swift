import JunctionCore
import JunctionRPC

/// `generate` params → a validated `ChatRequest`; every problem names its field.
enum GenerateParams {
    /// `generate`'s params, validated.
    struct Parsed: Sendable {
        var request: ChatRequest
        var timeout: Duration?
        var client: String?
        var cache = CacheRequestOptions()
        var fit = FitMode.failOver
    }

    static let known: Set<String> = [
        "prompt", "messages", "system", "model", "route", "max_tokens", "temperature", "top_p", "stop",
        "response_format", "stream", "timeout_ms", "client", "metadata", "seed", "thinking", "cache", "fit",
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
        request.seed = try params.int("seed", in: Int(Int64.min)...Int(Int64.max))
        (request.thinkingBudget, request.adaptiveThinking) = try self.thinking(params.value("thinking"))
        request.stream = try params.bool("stream") ?? false
        if let metadata = params.value("metadata"), metadata != .null {
            guard case .object(let object) = metadata else {
                throw .invalidParams(field: "metadata", problem: "must be an object")
            }
            request.metadata = object
        }
        let timeout = try params.int("timeout_ms", in: 1...3_600_000).map { Duration.milliseconds($0) }
        var parsed = Parsed(request: request, timeout: timeout, client: try params.string("client"))
        parsed.cache = try self.cache(params.value("cache"))
        if let fit = try params.string("fit") {
            guard let mode = FitMode(rawValue: fit) else {
                throw .invalidParams(
                    field: "fit", problem: "must be one of \(FitMode.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            parsed.fit = mode
        }
        return parsed
    }

    /// `thinking: {budget_tokens: N}` (`type: "enabled"` optional), `{type: "adaptive", effort?}`, or
    /// `{type: "disabled"}`.
    private static func thinking(_ value: JSONValue?) throws(RPCError) -> (Int?, AdaptiveThinking?) {
        let shape = "must be an object {\"budget_tokens\": N} or {\"type\": \"adaptive\", \"effort\"?: ...}"
        switch value {
        case nil, .null?: return (nil, nil)
        case .object(let object)?:
            do throws(RPCError) {
                let thinking = try Params(.object(object), known: ["type", "budget_tokens", "effort"])
                switch try thinking.string("type") {
                case "adaptive"?:
                    guard object["budget_tokens"] == nil else {
                        throw RPCError.invalidParams(
                            field: "budget_tokens", problem: "is not taken by adaptive thinking (the model decides)"
                        )
                    }
                    let effort = try thinking.string("effort")
                    if let effort, !AdaptiveThinking.efforts.contains(effort) {
                        throw RPCError.invalidParams(
                            field: "effort", problem: "must be one of \(AdaptiveThinking.efforts.joined(separator: ", "))"
                        )
                    }
                    return (nil, AdaptiveThinking(effort: effort))
                case "disabled"?:
                    return (nil, nil)
                case nil, "enabled"?:
                    guard object["effort"] == nil else {
                        throw RPCError.invalidParams(field: "effort", problem: "is taken by adaptive thinking only")
                    }
                    guard let budget = try thinking.int("budget_tokens", in: 1...1_000_000) else {
                        throw RPCError.invalidParams(field: "budget_tokens", problem: "is required")
                    }
                    return (budget, nil)
                case let other?:
                    throw RPCError.invalidParams(
                        field: "type", problem: "\"\(other)\" is not one of enabled, adaptive, disabled"
                    )
                }
            } catch {
                throw Self.nested(error, in: "thinking")
            }
        default:
            throw .invalidParams(field: "thinking", problem: shape)
        }
    }

    /// `cache: {mode, ttl_ms, max_age_ms, namespace}`.
    private static func cache(_ value: JSONValue?) throws(RPCError) -> CacheRequestOptions {
        switch value {
        case nil, .null?: return CacheRequestOptions()
        case .object(let object)?:
            let cache: Params
            do throws(RPCError) {
                cache = try Params(.object(object), known: ["mode", "ttl_ms", "max_age_ms", "namespace"])
            } catch {
                throw Self.nested(error, in: "cache")
            }
            var options = CacheRequestOptions()
            do throws(RPCError) {
                if let mode = try cache.string("mode") {
                    guard let known = CacheRequestOptions.Mode(rawValue: mode) else {
                        throw RPCError.invalidParams(
                            field: "mode",
                            problem: "must be one of "
                                + CacheRequestOptions.Mode.allCases.map(\.rawValue).joined(separator: ", ")
                        )
                    }
                    options.mode = known
                }
                options.ttl = try cache.int("ttl_ms", in: 1...31_536_000_000).map { .milliseconds($0) }
                options.maxAge = try cache.int("max_age_ms", in: 0...31_536_000_000).map { .milliseconds($0) }
                if let namespace = try cache.string("namespace") {
                    guard (1...128).contains(namespace.utf8.count),
                        namespace.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
                    else {
                        throw RPCError.invalidParams(
                            field: "namespace", problem: "must be 1 to 128 bytes of text without control characters"
                        )
                    }
                    options.namespace = namespace
                }
            } catch {
                throw Self.nested(error, in: "cache")
            }
            return options
        default:
            throw .invalidParams(field: "cache", problem: "must be an object {mode?, ttl_ms?, max_age_ms?, namespace?}")
        }
    }

    /// A nested object's invalid-params error with its field prefixed by the parent's name.
    private static func nested(_ error: RPCError, in parent: String) -> RPCError {
        guard let field = error.data?["field"]?.stringValue, let problem = error.data?["problem"]?.stringValue else {
            return error
        }
        return .invalidParams(field: field.isEmpty ? parent : "\(parent).\(field)", problem: problem)
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
                for key in object.keys where key != "role" && key != "content" && key != "keep" {
                    throw .invalidParams(
                        field: "messages.\(index).\(key)", problem: "is not a message field (role, content, keep)"
                    )
                }
                var keep = false
                if let flag = object["keep"], flag != .null {
                    guard let value = flag.boolValue else {
                        throw .invalidParams(field: "messages.\(index).keep", problem: "must be true or false")
                    }
                    keep = value
                }
                messages.append(ChatMessage(role: role, content: content, keep: keep))
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
                // OpenAI's shape nests the schema in `json_schema`; the flat `{type, name, schema}` is accepted too.
                let nested = object["json_schema"]
                let field = nested == nil ? "response_format" : "response_format.json_schema"
                let holder: JSONObject
                if let nested {
                    guard case .object(let inner) = nested else {
                        throw .invalidParams(field: field, problem: "must be an object {name, schema, strict?}")
                    }
                    holder = inner
                } else {
                    holder = object
                }
                guard let schema = holder["schema"], case .object = schema else {
                    throw .invalidParams(field: "\(field).schema", problem: "must be a JSON Schema object")
                }
                let name = holder["name"]?.stringValue ?? "response"
                // OpenAI's rule for schema names: [a-zA-Z0-9_-]{1,64}.
                let allowed = { (byte: UInt8) in
                    (0x30...0x39).contains(byte) || (0x61...0x7A).contains(byte | 0x20) || byte == 0x5F || byte == 0x2D
                }
                guard (1...64).contains(name.utf8.count), name.utf8.allSatisfy(allowed) else {
                    throw .invalidParams(field: "\(field).name", problem: "must be 1 to 64 of a-z, A-Z, 0-9, _ and -")
                }
                var strict: Bool?
                if let flag = holder["strict"], flag != .null {
                    guard let value = flag.boolValue else {
                        throw .invalidParams(field: "\(field).strict", problem: "must be true or false")
                    }
                    strict = value
                }
                do {
                    _ = try JSONSchema(compiling: schema)
                } catch {
                    throw .invalidParams(
                        field: "\(field).schema", problem: "is not a usable JSON Schema: \(error.message)"
                    )
                }
                return .jsonSchema(JSONSchemaFormat(name: name, schema: schema, strict: strict))
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
