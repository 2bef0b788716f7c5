import JunctionCore

/// Anthropic Messages API (`anthropic-version: 2023-06-01`).
public struct AnthropicAdapter: ProviderAdapter {
    /// Anthropic requires `max_tokens`; this is sent when the caller gives none.
    public static let defaultMaxTokens = 4096

    public init() {}

    private func headers(_ endpoint: ProviderEndpoint) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"), ("anthropic-version", "2023-06-01"),
        ]
        if let key = endpoint.apiKey { headers.append(("x-api-key", key)) }
        return headers + endpoint.extraHeaders
    }

    private func conversation(
        _ request: ChatRequest, instruction: String?
    ) -> (system: String?, messages: [JSONValue]) {
        let messages = request.conversation.map { message -> JSONValue in
            ["role": .string(message.role.rawValue), "content": .string(message.content)]
        }
        return (request.systemPrompt(adding: instruction), messages)
    }

    /// With extended thinking (`thinkingBudget`), `thinking: {type: "enabled", budget_tokens}` is sent, the budget
    /// raised to Anthropic's minimum of 1024. `max_tokens` must exceed the budget, so it becomes the budget plus the
    /// answer's own tokens (the caller's `maxTokens`, else `defaultMaxTokens`). Adaptive thinking sends
    /// `thinking: {type: "adaptive"}` (and `output_config.effort`): the model's thinking counts within `max_tokens`.
    /// Anthropic refuses `temperature` with thinking and allows `top_p` only from 0.95 to 1: they are left out
    /// otherwise.
    public func chatRequest(_ request: ChatRequest, model: String, endpoint: ProviderEndpoint) -> HTTPRequest {
        let structured = Self.structuredOutput(request, model: model)
        let (system, messages) = self.conversation(request, instruction: structured.instruction)
        let answerTokens = request.maxTokens ?? Self.defaultMaxTokens
        let thinkingBudget = request.thinkingBudget.map { max($0, Self.minimumThinkingBudget) }
        var body: JSONObject = [
            "model": .string(model),
            "max_tokens": .int(answerTokens + (thinkingBudget ?? 0)),
            "messages": .array(messages),
        ]
        if let system { body["system"] = .string(system) }
        if let thinkingBudget {
            body["thinking"] = ["type": "enabled", "budget_tokens": .int(thinkingBudget)]
            if let topP = request.topP, topP >= 0.95, topP <= 1 { body["top_p"] = .double(topP) }
        } else if request.adaptiveThinking != nil {
            body["thinking"] = ["type": "adaptive"]
            if let topP = request.topP, topP >= 0.95, topP <= 1 { body["top_p"] = .double(topP) }
        } else {
            if let temperature = request.temperature { body["temperature"] = .double(temperature) }
            if let topP = request.topP { body["top_p"] = .double(topP) }
        }
        if !request.stop.isEmpty { body["stop_sequences"] = .array(request.stop.map(JSONValue.string)) }
        if let (field, value) = structured.outputFormat { body[field] = value }
        if let effort = request.adaptiveThinking?.effort {
            // Beside a structured output's `output_config.format`, if there is one.
            var config = body["output_config"]?.objectValue ?? JSONObject()
            config["effort"] = .string(effort)
            body["output_config"] = .object(config)
        }
        if let tools = structured.tools { body["tools"] = tools }
        if let toolChoice = structured.toolChoice { body["tool_choice"] = toolChoice }
        if request.stream { body["stream"] = true }
        var headers = self.headers(endpoint)
        if let beta = structured.betaHeader { headers.append(("anthropic-beta", beta)) }
        return HTTPRequest(
            method: "POST",
            url: endpoint.baseURL + "/v1/messages",
            headers: headers,
            body: WireFormat.json(.object(body)),
            streamsBody: request.stream
        )
    }

    static func usage(_ json: JSONValue?) -> Usage? {
        guard let json, case .object = json else { return nil }
        var parts = AnthropicUsageParts()
        parts.merge(json)
        return parts.usage
    }

    public func parseCompletion(_ head: HTTPResponseHead, body: [UInt8], now: Double) -> Result<Completion, ProviderError> {
        guard let json = WireFormat.parse(body), let content = json["content"]?.arrayValue else {
            return .failure(ProviderError(kind: .malformed, status: head.status, message: "unreadable message"))
        }
        // Junction offers Anthropic no tool but the forced one that carries a schema's answer: a tool_use block is
        // that answer, its input the answer's JSON, and the turn it ends finished normally.
        let tool = content.first { $0["type"] == "tool_use" }
        let text =
            tool.map { ($0["input"] ?? .object(JSONObject())).compactText }
            ?? content.filter { $0["type"] == "text" }.compactMap { $0["text"]?.stringValue }.joined()
        let thinking = content.filter { $0["type"] == "thinking" }.compactMap { $0["thinking"]?.stringValue }.joined()
        var finish = WireFormat.finishReason(json["stop_reason"]?.stringValue) ?? .stop
        if tool != nil, finish == .toolCalls { finish = .stop }
        return .success(
            Completion(
                text: text,
                reasoning: thinking.isEmpty ? nil : thinking,
                finishReason: finish,
                model: json["model"]?.stringValue ?? "",
                usage: Self.usage(json["usage"]),
                providerRequestID: json["id"]?.stringValue ?? head.headers["request-id"],
                stopSequence: json["stop_sequence"]?.stringValue
            )
        )
    }

    public func makeStreamDecoder() -> any StreamDecoding {
        AnthropicStreamDecoder()
    }

    public func parseError(_ head: HTTPResponseHead, body: [UInt8], now: Double) -> ProviderError {
        let json = WireFormat.parse(body)
        let type = json?["error"]?["type"]?.stringValue
        let message = json?["error"]?["message"]?.stringValue ?? WireFormat.unreadable(head.status, body)
        var kind = WireFormat.classify(status: head.status, type: type, code: nil, message: message)
        if type == "overloaded_error" { kind = .overloaded }
        return ProviderError(
            kind: kind,
            status: head.status,
            type: type,
            message: message,
            hints: RetryHintParsing.hints(from: head.headers, now: now),
            rateLimits: self.rateLimits(head, now: now)
        )
    }

    public func modelsRequest(endpoint: ProviderEndpoint) -> HTTPRequest {
        HTTPRequest(method: "GET", url: endpoint.baseURL + "/v1/models", headers: self.headers(endpoint))
    }

    public func parseModels(_ body: [UInt8]) -> [String]? {
        WireFormat.parse(body)?["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue }
    }

    public func countTokensRequest(_ request: ChatRequest, model: String, endpoint: ProviderEndpoint) -> HTTPRequest? {
        let structured = Self.structuredOutput(request, model: model)
        let (system, messages) = self.conversation(request, instruction: structured.instruction)
        var body: JSONObject = ["model": .string(model), "messages": .array(messages)]
        if let system { body["system"] = .string(system) }
        if let tools = structured.tools { body["tools"] = tools }
        return HTTPRequest(
            method: "POST",
            url: endpoint.baseURL + "/v1/messages/count_tokens",
            headers: self.headers(endpoint),
            body: WireFormat.json(.object(body))
        )
    }

    public func parseTokenCount(_ body: [UInt8]) -> Int? {
        WireFormat.parse(body)?["input_tokens"]?.intValue
    }

    public func rateLimits(_ head: HTTPResponseHead, now: Double) -> RateLimitSnapshot {
        RetryHintParsing.anthropicRateLimits(head.headers, now: now)
    }
}

/// Named events: `message_start`, `content_block_start/delta/stop`, `message_delta` (stop reason, cumulative
/// usage), `message_stop`, `ping`, and `error` mid-stream.
///
/// A `tool_use` block is the forced tool's answer (see `AnthropicAdapter.parseCompletion`): its
/// `input_json_delta.partial_json` chunks are answer text, and its `tool_use` stop a normal finish.
struct AnthropicStreamDecoder: StreamDecoding {
    private var parser = SSEParser()
    private(set) var malformedEvents = 0
    private var usage = AnthropicUsageParts()
    /// Indexes of open tool_use blocks, with whether any input text came for each.
    private var toolBlocks: [Int: Bool] = [:]
    private var sawTool = false

    mutating func feed(_ bytes: [UInt8]) -> [StreamEvent] {
        var events: [StreamEvent] = []
        for event in self.parser.feed(bytes) {
            guard let json = try? JSONValue.parse(event.data, maxDepth: 64), case .object = json else {
                self.malformedEvents += 1
                continue
            }
            switch event.name ?? json["type"]?.stringValue {
            case "message_start":
                let message = json["message"]
                events.append(.metadata(model: message?["model"]?.stringValue, requestID: message?["id"]?.stringValue))
                if let usage = message?["usage"], case .object = usage {
                    self.usage = AnthropicUsageParts()
                    self.usage.merge(usage)
                    events.append(.usage(self.usage.usage))
                }
            case "content_block_start":
                if json["content_block"]?["type"] == "tool_use", let index = json["index"]?.intValue {
                    self.toolBlocks[index] = false
                    self.sawTool = true
                }
            case "content_block_delta":
                let delta = json["delta"]
                if let text = delta?["text"]?.stringValue, !text.isEmpty { events.append(.delta(text)) }
                if let thinking = delta?["thinking"]?.stringValue, !thinking.isEmpty { events.append(.reasoning(thinking)) }
                if let partial = delta?["partial_json"]?.stringValue, !partial.isEmpty {
                    events.append(.delta(partial))
                    if let index = json["index"]?.intValue, self.toolBlocks[index] != nil {
                        self.toolBlocks[index] = true
                    }
                }
            case "content_block_stop":
                // A tool called with an empty input may stream no input text at all; its answer is still `{}`.
                if let index = json["index"]?.intValue, let wrote = self.toolBlocks.removeValue(forKey: index), !wrote {
                    events.append(.delta("{}"))
                }
            case "message_delta":
                // Usage here is cumulative; fields it leaves out (often the input ones) keep their
                // message_start values.
                if let update = json["usage"], case .object = update {
                    self.usage.merge(update)
                    events.append(.usage(self.usage.usage))
                }
                if var finish = WireFormat.finishReason(json["delta"]?["stop_reason"]?.stringValue) {
                    if self.sawTool, finish == .toolCalls { finish = .stop }
                    events.append(.finish(finish))
                }
                if let sequence = json["delta"]?["stop_sequence"]?.stringValue { events.append(.stopSequence(sequence)) }
            case "message_stop":
                events.append(.end)
            case "error":
                let type = json["error"]?["type"]?.stringValue
                let message = json["error"]?["message"]?.stringValue ?? "error in stream"
                var kind = WireFormat.classify(status: 500, type: type, code: nil, message: message)
                if type == "overloaded_error" { kind = .overloaded }
                if type == "rate_limit_error" { kind = .rateLimited }
                events.append(.error(ProviderError(kind: kind, type: type, message: message)))
            default:
                break  // ping
            }
        }
        return events
    }
}

/// Anthropic's usage fields as sent. `input_tokens` exclude cache reads (`cache_read_input_tokens`) and cache
/// writes (`cache_creation_input_tokens`, split by duration in `cache_creation.ephemeral_5m_input_tokens` /
/// `ephemeral_1h_input_tokens`); `output_tokens` include thinking, which Anthropic does not count apart.
struct AnthropicUsageParts {
    var input = 0
    var cacheRead = 0
    var cacheWrite = 0
    var cacheWrite1h = 0
    var output = 0

    /// Takes every field `json` has; the others keep their values.
    mutating func merge(_ json: JSONValue) {
        if let input = json["input_tokens"]?.intValue { self.input = input }
        if let read = json["cache_read_input_tokens"]?.intValue { self.cacheRead = read }
        let durations = json["cache_creation"]
        let fiveMinutes = durations?["ephemeral_5m_input_tokens"]?.intValue
        let oneHour = durations?["ephemeral_1h_input_tokens"]?.intValue
        if let oneHour { self.cacheWrite1h = oneHour }
        if let written = json["cache_creation_input_tokens"]?.intValue {
            self.cacheWrite = written
        } else if fiveMinutes != nil || oneHour != nil {
            self.cacheWrite = (fiveMinutes ?? 0) + (oneHour ?? 0)
        }
        if let output = json["output_tokens"]?.intValue { self.output = output }
    }

    var usage: Usage {
        Usage(
            promptTokens: self.input + self.cacheRead + self.cacheWrite,
            completionTokens: self.output,
            cachedTokens: self.cacheRead,
            cacheWriteTokens: self.cacheWrite,
            cacheWrite1hTokens: min(self.cacheWrite1h, self.cacheWrite)
        )
    }
}
