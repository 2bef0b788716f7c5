import JunctionCore

/// Google Gemini (`generateContent`, `streamGenerateContent?alt=sse`, `countTokens`, `models`).
public struct GeminiAdapter: ProviderAdapter {
    public init() {}

    private func headers(_ endpoint: ProviderEndpoint) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if let key = endpoint.apiKey { headers.append(("x-goog-api-key", key)) }
        return headers + endpoint.extraHeaders
    }

    private func contents(_ request: ChatRequest) -> [JSONValue] {
        request.conversation.map { message in
            [
                "role": .string(message.role == .assistant ? "model" : "user"),
                "parts": [["text": .string(message.content)]],
            ]
        }
    }

    private static func modelPath(_ model: String) -> String {
        model.hasPrefix("models/") ? model : "models/\(model)"
    }

    public func chatRequest(_ request: ChatRequest, model: String, endpoint: ProviderEndpoint) -> HTTPRequest {
        var body: JSONObject = ["contents": .array(self.contents(request))]
        var config = JSONObject()
        if let maxTokens = request.maxTokens { config["maxOutputTokens"] = .int(maxTokens) }
        if let temperature = request.temperature { config["temperature"] = .double(temperature) }
        if let topP = request.topP { config["topP"] = .double(topP) }
        if !request.stop.isEmpty { config["stopSequences"] = .array(request.stop.map(JSONValue.string)) }
        let instruction = self.structuredOutput(request, into: &config)
        if let system = request.systemPrompt(adding: instruction) {
            body["systemInstruction"] = ["parts": [["text": .string(system)]]]
        }
        if !config.isEmpty { body["generationConfig"] = .object(config) }
        let method = request.stream ? ":streamGenerateContent?alt=sse" : ":generateContent"
        return HTTPRequest(
            method: "POST",
            url: "\(endpoint.baseURL)/\(Self.modelPath(model))\(method)",
            headers: self.headers(endpoint),
            body: WireFormat.json(.object(body)),
            streamsBody: request.stream
        )
    }

    /// `promptTokenCount` includes cached content (`cachedContentTokenCount`); tool-use prompt tokens
    /// (`toolUsePromptTokenCount`) and thinking (`thoughtsTokenCount`) are counted apart and added here, so that
    /// prompt and completion hold every billed token.
    static func usage(_ json: JSONValue?) -> Usage? {
        guard let json, case .object = json else { return nil }
        let thoughts = json["thoughtsTokenCount"]?.intValue ?? 0
        return Usage(
            promptTokens: (json["promptTokenCount"]?.intValue ?? 0) + (json["toolUsePromptTokenCount"]?.intValue ?? 0),
            completionTokens: (json["candidatesTokenCount"]?.intValue ?? 0) + thoughts,
            cachedTokens: json["cachedContentTokenCount"]?.intValue ?? 0,
            reasoningTokens: thoughts
        )
    }

    /// Text and finish reason of the first candidate; a blocked prompt is a content-filter finish.
    static func candidate(_ json: JSONValue) -> (text: String, finish: FinishReason?) {
        if json["promptFeedback"]?["blockReason"]?.stringValue != nil { return ("", .contentFilter) }
        guard let candidate = json["candidates"]?.arrayValue?.first else { return ("", nil) }
        let parts = candidate["content"]?["parts"]?.arrayValue ?? []
        let text = parts.filter { $0["thought"] != true }.compactMap { $0["text"]?.stringValue }.joined()
        return (text, WireFormat.finishReason(candidate["finishReason"]?.stringValue))
    }

    public func parseCompletion(_ head: HTTPResponseHead, body: [UInt8], now: Double) -> Result<Completion, ProviderError> {
        guard let json = WireFormat.parse(body), case .object = json else {
            return .failure(ProviderError(kind: .malformed, status: head.status, message: "unreadable generateContent answer"))
        }
        let (text, finish) = Self.candidate(json)
        return .success(
            Completion(
                text: text,
                finishReason: finish ?? .stop,
                model: json["modelVersion"]?.stringValue ?? "",
                usage: Self.usage(json["usageMetadata"]),
                providerRequestID: json["responseId"]?.stringValue
            )
        )
    }

    public func makeStreamDecoder() -> any StreamDecoding {
        GeminiStreamDecoder()
    }

    public func parseError(_ head: HTTPResponseHead, body: [UInt8], now: Double) -> ProviderError {
        let error = WireFormat.parse(body)?["error"]
        let status = error?["status"]?.stringValue
        let message = error?["message"]?.stringValue ?? WireFormat.unreadable(head.status, body)
        let details = RetryHintParsing.googleErrorDetails(error?["details"]?.arrayValue ?? [])
        var hints = RetryHintParsing.hints(from: head.headers, now: now)
        if hints.retryAfter == nil { hints.retryAfter = details.retryDelay }
        var kind = WireFormat.classify(status: head.status, type: status, code: details.reason, message: message)
        // Gemini reports a bad key as 400 INVALID_ARGUMENT.
        if details.reason == "API_KEY_INVALID" { kind = .auth }
        if head.status == 429 { kind = Self.resourceExhausted(details, message: message, hints: &hints, now: now) }
        return ProviderError(
            kind: kind, status: head.status, type: status, code: details.reason, message: message, hints: hints,
            rateLimits: self.rateLimits(head, now: now)
        )
    }

    /// Gemini's 429 `RESOURCE_EXHAUSTED` says "You exceeded your current quota, please check your plan and billing
    /// details" for per-minute limits and per-day quotas alike; only the structured details tell them apart.
    /// A spent per-day quota (or a zero limit) waits for the daily reset at midnight Pacific time, and the
    /// `RetryInfo` sent with it, which names the per-minute refill, is dropped. Any other quota or a `RetryInfo`
    /// is a rate limit. Without details, only a depleted prepayment is billing.
    static func resourceExhausted(
        _ details: GoogleErrorDetails, message: String, hints: inout RetryHints, now: Double
    ) -> ProviderError.Kind {
        if details.needsDailyReset {
            hints.retryAfter = nil
            hints.quotaResetAfter = QuotaReset.untilNextPacificMidnight(now: now)
            return .rateLimited
        }
        if details.violations.isEmpty, details.retryDelay == nil, message.lowercased().contains("prepayment credits") {
            return .quotaExhausted
        }
        return .rateLimited
    }

    public func modelsRequest(endpoint: ProviderEndpoint) -> HTTPRequest {
        HTTPRequest(method: "GET", url: endpoint.baseURL + "/models", headers: self.headers(endpoint))
    }

    public func parseModels(_ body: [UInt8]) -> [String]? {
        WireFormat.parse(body)?["models"]?.arrayValue?.compactMap { model in
            model["name"]?.stringValue.map { $0.hasPrefix("models/") ? String($0.dropFirst(7)) : $0 }
        }
    }

    public func countTokensRequest(_ request: ChatRequest, model: String, endpoint: ProviderEndpoint) -> HTTPRequest? {
        var body: JSONObject = ["contents": .array(self.contents(request))]
        if let system = request.combinedSystemPrompt {
            // countTokens takes the system prompt only inside a full generateContentRequest.
            body = ["generateContentRequest": [
                "model": .string(Self.modelPath(model)), "contents": .array(self.contents(request)),
                "systemInstruction": ["parts": [["text": .string(system)]]],
            ]]
        }
        return HTTPRequest(
            method: "POST",
            url: "\(endpoint.baseURL)/\(Self.modelPath(model)):countTokens",
            headers: self.headers(endpoint),
            body: WireFormat.json(.object(body))
        )
    }

    public func parseTokenCount(_ body: [UInt8]) -> Int? {
        WireFormat.parse(body)?["totalTokens"]?.intValue
    }

    public func rateLimits(_ head: HTTPResponseHead, now: Double) -> RateLimitSnapshot {
        RateLimitSnapshot()  // Gemini sends no rate-limit headers
    }
}

/// Each SSE event is a whole `GenerateContentResponse`; there is no `[DONE]`: the stream ends with the body.
struct GeminiStreamDecoder: StreamDecoding {
    private var parser = SSEParser()
    private(set) var malformedEvents = 0
    private var announced = false

    mutating func feed(_ bytes: [UInt8]) -> [StreamEvent] {
        var events: [StreamEvent] = []
        for event in self.parser.feed(bytes) {
            guard let json = try? JSONValue.parse(event.data, maxDepth: 64), case .object = json else {
                self.malformedEvents += 1
                continue
            }
            if let error = json["error"] {
                let message = error["message"]?.stringValue ?? "error in stream"
                let status = error["code"]?.intValue ?? 500
                events.append(
                    .error(
                        ProviderError(
                            kind: WireFormat.classify(status: status, type: error["status"]?.stringValue, code: nil, message: message),
                            status: status, type: error["status"]?.stringValue, message: message
                        )
                    )
                )
                continue
            }
            if !self.announced {
                self.announced = true
                events.append(.metadata(model: json["modelVersion"]?.stringValue, requestID: json["responseId"]?.stringValue))
            }
            let (text, finish) = GeminiAdapter.candidate(json)
            if !text.isEmpty { events.append(.delta(text)) }
            if let usage = GeminiAdapter.usage(json["usageMetadata"]) { events.append(.usage(usage)) }
            if let finish { events.append(.finish(finish)) }
        }
        return events
    }
}
