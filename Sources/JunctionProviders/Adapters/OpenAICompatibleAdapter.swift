import JunctionCore

/// OpenAI Chat Completions, and the servers that speak it: DeepSeek, Qwen (DashScope compatible mode), Ollama,
/// vLLM / LM Studio / llama.cpp ("openai-compatible"), and "cursor" — there is no public Cursor inference API,
/// so that preset is simply an OpenAI-compatible endpoint the user points at.
public struct OpenAICompatibleAdapter: ProviderAdapter {
    public enum Preset: Sendable {
        case openai
        case deepseek
        case qwen
        case ollama
        case generic
        case cursor
    }

    public let preset: Preset

    public init(preset: Preset) {
        self.preset = preset
    }

    public func chatRequest(_ request: ChatRequest, model: String, endpoint: ProviderEndpoint) -> HTTPRequest {
        let structured = self.structuredOutput(request.responseFormat)
        var messages: [JSONValue] = []
        if let system = request.systemPrompt(adding: structured.instruction) {
            messages.append(["role": "system", "content": .string(system)])
        }
        for message in request.conversation {
            messages.append(["role": .string(message.role.rawValue), "content": .string(message.content)])
        }
        var body: JSONObject = ["model": .string(model), "messages": .array(messages)]
        if let maxTokens = request.maxTokens {
            // OpenAI's newer models take only max_completion_tokens; the compatible servers know max_tokens.
            body[self.preset == .openai ? "max_completion_tokens" : "max_tokens"] = .int(maxTokens)
        }
        if let temperature = request.temperature { body["temperature"] = .double(temperature) }
        if let topP = request.topP { body["top_p"] = .double(topP) }
        if !request.stop.isEmpty { body["stop"] = .array(request.stop.map(JSONValue.string)) }
        if let responseFormat = structured.responseFormat { body["response_format"] = responseFormat }
        if let seed = request.seed, self.acceptsSeed { body["seed"] = .int(seed) }
        if request.stream {
            body["stream"] = true
            body["stream_options"] = ["include_usage": true]
        }
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if request.stream { headers.append(("Accept", "text/event-stream")) }
        if let key = endpoint.apiKey, !key.isEmpty { headers.append(("Authorization", "Bearer \(key)")) }
        headers += endpoint.extraHeaders
        return HTTPRequest(
            method: "POST",
            url: endpoint.baseURL + "/chat/completions",
            headers: headers,
            body: WireFormat.json(.object(body)),
            streamsBody: request.stream
        )
    }

    public func parseCompletion(_ head: HTTPResponseHead, body: [UInt8], now: Double) -> Result<Completion, ProviderError> {
        guard let json = WireFormat.parse(body), let choice = json["choices"]?.arrayValue?.first else {
            return .failure(ProviderError(kind: .malformed, status: head.status, message: "unreadable chat completion"))
        }
        let message = choice["message"]
        let finish = WireFormat.finishReason(choice["finish_reason"]?.stringValue) ?? .stop
        return .success(
            Completion(
                text: message?["content"]?.stringValue ?? "",
                reasoning: message?["reasoning_content"]?.stringValue,
                finishReason: finish,
                model: json["model"]?.stringValue ?? "",
                usage: json["usage"].flatMap(Self.usage),
                providerRequestID: json["id"]?.stringValue ?? head.headers["x-request-id"]
            )
        )
    }

    /// Normalises the usage object of OpenAI and the servers that copy it. `prompt_tokens` already include cache
    /// reads (`prompt_tokens_details.cached_tokens`) and DashScope's explicit-cache writes
    /// (`prompt_tokens_details.cache_creation_input_tokens`); reasoning is inside `completion_tokens`
    /// (`completion_tokens_details.reasoning_tokens`). DeepSeek splits the prompt into
    /// `prompt_cache_hit_tokens` and `prompt_cache_miss_tokens`: the prompt is their sum, the hits are cached.
    static func usage(_ json: JSONValue) -> Usage? {
        guard case .object = json else { return nil }
        let details = json["prompt_tokens_details"]
        var prompt = json["prompt_tokens"]?.intValue ?? 0
        var cached = details?["cached_tokens"]?.intValue ?? 0
        if let hit = json["prompt_cache_hit_tokens"]?.intValue {
            cached = hit
            if let miss = json["prompt_cache_miss_tokens"]?.intValue { prompt = hit + miss }
        }
        let cacheWrite =
            details?["cache_creation_input_tokens"]?.intValue
            ?? details?["cache_creation"]?["ephemeral_5m_input_tokens"]?.intValue ?? 0
        let completion = json["completion_tokens"]?.intValue ?? 0
        let reasoning = json["completion_tokens_details"]?["reasoning_tokens"]?.intValue ?? 0
        return Usage(
            promptTokens: prompt,
            completionTokens: completion,
            cachedTokens: cached,
            cacheWriteTokens: cacheWrite,
            reasoningTokens: min(reasoning, completion)
        )
    }

    public func makeStreamDecoder() -> any StreamDecoding {
        OpenAIStreamDecoder()
    }

    public func parseError(_ head: HTTPResponseHead, body: [UInt8], now: Double) -> ProviderError {
        let json = WireFormat.parse(body)
        // OpenAI: {"error": {...}}; some compatible servers: {"error": "text"} or {"message": ...}.
        let error = json?["error"]
        let message =
            error?["message"]?.stringValue ?? error?.stringValue ?? json?["message"]?.stringValue
            ?? WireFormat.unreadable(head.status, body)
        let type = error?["type"]?.stringValue
        let code = error?["code"]?.stringValue ?? error?["code"]?.intValue.map(String.init)
        var hints = RetryHintParsing.hints(from: head.headers, now: now)
        if hints.retryAfter == nil { hints.retryAfter = RetryHintParsing.tryAgainIn(message) }
        if hints.retryAfter == nil, head.status == 429 {
            hints.retryAfter = [head.headers["x-ratelimit-reset-requests"], head.headers["x-ratelimit-reset-tokens"]]
                .compactMap { $0.flatMap(RetryHintParsing.goDuration) }.max()
        }
        return ProviderError(
            kind: WireFormat.classify(status: head.status, type: type, code: code, message: message),
            status: head.status,
            type: type,
            code: code,
            message: message,
            hints: hints,
            rateLimits: self.rateLimits(head, now: now)
        )
    }

    public func modelsRequest(endpoint: ProviderEndpoint) -> HTTPRequest {
        var headers = endpoint.extraHeaders
        if let key = endpoint.apiKey, !key.isEmpty { headers.append(("Authorization", "Bearer \(key)")) }
        return HTTPRequest(method: "GET", url: endpoint.baseURL + "/models", headers: headers)
    }

    public func parseModels(_ body: [UInt8]) -> [String]? {
        WireFormat.parse(body)?["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue }
    }

    public func rateLimits(_ head: HTTPResponseHead, now: Double) -> RateLimitSnapshot {
        RetryHintParsing.openAIRateLimits(head.headers)
    }
}

/// `data: {chunk}` events ending with `data: [DONE]`; DeepSeek adds `: keep-alive` comments and
/// `reasoning_content`; DashScope writes `data:` without a space and `"finish_reason": "null"` until the end.
struct OpenAIStreamDecoder: StreamDecoding {
    private var parser = SSEParser()
    private(set) var malformedEvents = 0
    private var announced = false

    mutating func feed(_ bytes: [UInt8]) -> [StreamEvent] {
        var events: [StreamEvent] = []
        for event in self.parser.feed(bytes) {
            if event.data == "[DONE]" {
                events.append(.end)
                continue
            }
            guard let json = try? JSONValue.parse(event.data, maxDepth: 64), case .object = json else {
                self.malformedEvents += 1
                continue
            }
            if let error = json["error"] {
                let message = error["message"]?.stringValue ?? error.stringValue ?? "error in stream"
                let type = error["type"]?.stringValue
                let code = error["code"]?.stringValue
                let status = error["code"]?.intValue ?? 500
                events.append(
                    .error(
                        ProviderError(
                            kind: WireFormat.classify(status: status, type: type, code: code, message: message),
                            status: nil, type: type, code: code, message: message
                        )
                    )
                )
                continue
            }
            if !self.announced {
                self.announced = true
                events.append(.metadata(model: json["model"]?.stringValue, requestID: json["id"]?.stringValue))
            }
            if let choice = json["choices"]?.arrayValue?.first {
                if let reasoning = choice["delta"]?["reasoning_content"]?.stringValue, !reasoning.isEmpty {
                    events.append(.reasoning(reasoning))
                }
                if let text = choice["delta"]?["content"]?.stringValue, !text.isEmpty {
                    events.append(.delta(text))
                }
                if let finish = WireFormat.finishReason(choice["finish_reason"]?.stringValue) {
                    events.append(.finish(finish))
                }
            }
            if let usage = json["usage"].flatMap(OpenAICompatibleAdapter.usage) {
                events.append(.usage(usage))
            }
        }
        return events
    }
}
