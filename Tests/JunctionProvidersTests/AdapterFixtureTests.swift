import JunctionCore
import Testing

@testable import JunctionProviders

/// Adapters against recorded-shape fixtures of each provider's wire format.
@Suite("Adapters")
struct AdapterFixtureTests {
    private let endpoint = ProviderEndpoint(name: "p", kind: .openai, baseURL: "https://api.example.com/v1/", apiKey: "sk-KEY")
    private let ok = HTTPResponseHead(status: 200, headers: [:])
    private let request = ChatRequest(
        messages: [ChatMessage(role: .system, content: "S"), ChatMessage(role: .user, content: "Hi")],
        system: "Top",
        maxTokens: 50,
        temperature: 0.5,
        stop: ["END"],
        responseFormat: .jsonObject,
        stream: true
    )

    private func decode(_ decoder: some StreamDecoding, _ text: String, chunk: Int = 7) -> ([StreamEvent], Int) {
        var decoder = decoder
        let bytes = Array(text.utf8)
        var events: [StreamEvent] = []
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            events += decoder.feed(Array(bytes[start..<min(start + chunk, bytes.count)]))
        }
        return (events, decoder.malformedEvents)
    }

    private func text(_ events: [StreamEvent]) -> String {
        events.compactMap { if case .delta(let text) = $0 { text } else { nil } }.joined()
    }

    // MARK: OpenAI family

    @Test func openAIRequestShape() throws {
        let http = OpenAICompatibleAdapter(preset: .openai).chatRequest(self.request, model: "gpt-4o-mini", endpoint: self.endpoint)
        #expect(http.url == "https://api.example.com/v1/chat/completions")
        #expect(http.headers.contains { $0.name == "Authorization" && $0.value == "Bearer sk-KEY" })
        let body = try JSONValue.parse(http.body ?? [])
        #expect(body["max_completion_tokens"] == 50)
        #expect(body["max_tokens"] == nil)
        // JSON mode: the instruction carries the word "JSON", without which OpenAI refuses json_object.
        let system = body["messages"]?.arrayValue?.first?["content"]
        #expect(system == "Top\n\nS\n\nAnswer with one JSON object and nothing else.")
        #expect(body["messages"]?.arrayValue?.count == 2)
        #expect(body["stream_options"]?["include_usage"] == true)
        #expect(body["response_format"]?["type"] == "json_object")
        #expect(body["stop"] == ["END"])
        let compatible = OpenAICompatibleAdapter(preset: .deepseek).chatRequest(self.request, model: "deepseek-chat", endpoint: self.endpoint)
        #expect(try JSONValue.parse(compatible.body ?? [])["max_tokens"] == 50)
        let keyless = ProviderEndpoint(name: "o", kind: .ollama, baseURL: "http://127.0.0.1:11434/v1", apiKey: nil)
        #expect(!OpenAICompatibleAdapter(preset: .ollama).chatRequest(self.request, model: "m", endpoint: keyless).headers.contains { $0.name == "Authorization" })
    }

    @Test func openAICompletionWithUsageDetails() throws {
        let body = #"{"id":"chatcmpl-1","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hi!"},"finish_reason":"length"}],"usage":{"prompt_tokens":10,"completion_tokens":3,"total_tokens":13,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":1}}}"#
        let completion = try OpenAICompatibleAdapter(preset: .openai).parseCompletion(self.ok, body: Array(body.utf8), now: 0).get()
        #expect(completion.text == "Hi!")
        #expect(completion.finishReason == .length)
        #expect(completion.model == "gpt-4o-mini-2024-07-18")
        #expect(completion.usage == Usage(promptTokens: 10, completionTokens: 3, cachedTokens: 4, reasoningTokens: 1))
        #expect(completion.providerRequestID == "chatcmpl-1")
    }

    @Test func openAIStreamWithUsageAndDone() {
        let stream = """
            data: {"id":"c1","model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}

            data: {"id":"c1","model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}

            data: {"id":"c1","model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]}

            data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}

            data: {"id":"c1","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}

            data: [DONE]


            """
        for chunk in [1, 3, 64, 10_000] {
            let (events, malformed) = self.decode(OpenAIStreamDecoder(), stream, chunk: chunk)
            #expect(self.text(events) == "Hello")
            #expect(events.contains(.finish(.stop)))
            #expect(events.contains(.usage(Usage(promptTokens: 5, completionTokens: 2))))
            #expect(events.last == .end)
            #expect(malformed == 0)
        }
    }

    @Test func crlfStreamsDecodeTheSame() {
        let stream = "data: {\"choices\":[{\"delta\":{\"content\":\"A\"}}]}\r\n\r\ndata: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\r\n\r\ndata: [DONE]\r\n\r\n"
        let (events, _) = self.decode(OpenAIStreamDecoder(), stream, chunk: 1)
        #expect(self.text(events) == "A")
        #expect(events.last == .end)
    }

    @Test func deepSeekReasoningAndKeepAliveAndCacheHits() {
        let stream = """
            : keep-alive

            data: {"id":"d","model":"deepseek-reasoner","choices":[{"delta":{"reasoning_content":"think"},"finish_reason":null}]}

            data: {"id":"d","choices":[{"delta":{"content":"answer"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":4,"prompt_cache_hit_tokens":6}}

            data: [DONE]


            """
        let (events, _) = self.decode(OpenAIStreamDecoder(), stream)
        #expect(events.contains(.reasoning("think")))
        #expect(self.text(events) == "answer")
        #expect(events.contains(.usage(Usage(promptTokens: 9, completionTokens: 4, cachedTokens: 6))))
    }

    @Test func dashScopeDataWithoutSpaceAndNullStringFinish() {
        let stream = """
            data:{"choices":[{"delta":{"content":"Q"},"finish_reason":"null"}]}

            data:{"choices":[{"delta":{"content":"wen"},"finish_reason":"stop"}]}

            data:[DONE]


            """
        let (events, _) = self.decode(OpenAIStreamDecoder(), stream)
        #expect(self.text(events) == "Qwen")
        #expect(events.filter { if case .finish = $0 { true } else { false } } == [.finish(.stop)])
        #expect(events.last == .end)
    }

    @Test func malformedEventsAreSkippedAndCounted() {
        let stream = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: {broken\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"b\"},\"finish_reason\":\"stop\"}]}\n\n"
        let (events, malformed) = self.decode(OpenAIStreamDecoder(), stream)
        #expect(self.text(events) == "ab")
        #expect(malformed == 1)
    }

    @Test func midStreamErrorIsAnError() {
        let stream = "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n"
        let (events, _) = self.decode(OpenAIStreamDecoder(), stream)
        guard case .error(let error)? = events.first else {
            Issue.record("no error event")
            return
        }
        #expect(error.message == "overloaded")
    }

    @Test func openAIErrorsAndHints() {
        let adapter = OpenAICompatibleAdapter(preset: .openai)
        let limited = HTTPResponseHead(
            status: 429,
            headers: ["x-ratelimit-reset-requests": "6m0s", "x-ratelimit-remaining-requests": "0", "x-ratelimit-limit-requests": "500"]
        )
        let body = #"{"error":{"message":"Rate limit reached. Please try again in 1.2s.","type":"requests","code":"rate_limit_exceeded"}}"#
        let error = adapter.parseError(limited, body: Array(body.utf8), now: 0)
        #expect(error.kind == .rateLimited)
        #expect(error.hints.retryAfter == .milliseconds(1200))
        #expect(error.rateLimits?.requestsReset == .seconds(360))
        #expect(error.rateLimits?.requestsRemaining == 0)
        let quota = adapter.parseError(
            HTTPResponseHead(status: 429, headers: [:]),
            body: Array(#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#.utf8),
            now: 0
        )
        #expect(quota.kind == .quotaExhausted)
        let context = adapter.parseError(
            HTTPResponseHead(status: 400, headers: [:]),
            body: Array(#"{"error":{"message":"maximum context length is 128000","code":"context_length_exceeded"}}"#.utf8),
            now: 0
        )
        #expect(context.kind == .contextLength)
        let shouldNot = adapter.parseError(HTTPResponseHead(status: 500, headers: ["x-should-retry": "false"]), body: [], now: 0)
        #expect(shouldNot.kind == .serverError)
        #expect(shouldNot.hints.shouldRetry == false)
        #expect(shouldNot.message == "HTTP 500 with an empty body")
        let deepSeekBroke = OpenAICompatibleAdapter(preset: .deepseek).parseError(
            HTTPResponseHead(status: 402, headers: [:]), body: Array(#"{"error":{"message":"Insufficient Balance"}}"#.utf8), now: 0)
        #expect(deepSeekBroke.kind == .quotaExhausted)
    }

    // MARK: Anthropic

    @Test func anthropicRequestShape() throws {
        let endpoint = ProviderEndpoint(name: "a", kind: .anthropic, baseURL: "https://api.anthropic.com", apiKey: "sk-ant")
        var request = self.request
        request.maxTokens = nil
        let http = AnthropicAdapter().chatRequest(request, model: "claude", endpoint: endpoint)
        #expect(http.url == "https://api.anthropic.com/v1/messages")
        #expect(http.headers.contains { $0.name == "x-api-key" && $0.value == "sk-ant" })
        #expect(http.headers.contains { $0.name == "anthropic-version" && $0.value == "2023-06-01" })
        let body = try JSONValue.parse(http.body ?? [])
        #expect(body["max_tokens"] == .int(AnthropicAdapter.defaultMaxTokens))
        #expect(body["system"]?.stringValue?.hasPrefix("Top\n\nS") == true)
        #expect(body["messages"]?.arrayValue?.count == 1)
        #expect(body["stop_sequences"] == ["END"])
    }

    @Test func anthropicStreamWithCumulativeUsage() {
        let stream = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","model":"claude-3-5-haiku","usage":{"input_tokens":10,"cache_creation_input_tokens":2,"cache_read_input_tokens":3,"output_tokens":1}}}

            event: ping
            data: {"type":"ping"}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" there"}}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":7}}

            event: message_stop
            data: {"type":"message_stop"}


            """
        let (events, _) = self.decode(AnthropicStreamDecoder(), stream, chunk: 5)
        #expect(self.text(events) == "Hi there")
        #expect(events.contains(.metadata(model: "claude-3-5-haiku", requestID: "msg_1")))
        #expect(events.contains(.finish(.length)))
        #expect(events.contains(.usage(Usage(promptTokens: 15, completionTokens: 7, cachedTokens: 3, cacheWriteTokens: 2))))
        #expect(events.last == .end)
    }

    @Test func anthropicMidStreamErrorAndErrors() {
        let (events, _) = self.decode(
            AnthropicStreamDecoder(),
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"
        )
        #expect(events.first.map { if case .error(let error) = $0 { error.kind == .overloaded } else { false } } == true)
        let adapter = AnthropicAdapter()
        let overloaded = adapter.parseError(
            HTTPResponseHead(status: 529, headers: ["retry-after": "3"]),
            body: Array(#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#.utf8), now: 0)
        #expect(overloaded.kind == .overloaded)
        #expect(overloaded.hints.retryAfter == .seconds(3))
        let tooLong = adapter.parseError(
            HTTPResponseHead(status: 400, headers: [:]),
            body: Array(#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 250000 tokens > 200000 maximum"}}"#.utf8),
            now: 0)
        #expect(tooLong.kind == .contextLength)
        let limits = adapter.rateLimits(
            HTTPResponseHead(status: 200, headers: [
                "anthropic-ratelimit-requests-remaining": "5", "anthropic-ratelimit-requests-reset": "1970-01-01T00:00:30Z",
            ]),
            now: 10
        )
        #expect(limits.requestsRemaining == 5)
        #expect(limits.requestsReset == .seconds(20))
    }

    // MARK: Gemini

    @Test func geminiRequestShape() throws {
        let endpoint = ProviderEndpoint(name: "g", kind: .gemini, baseURL: "https://generativelanguage.googleapis.com/v1beta", apiKey: "g-key")
        let http = GeminiAdapter().chatRequest(self.request, model: "gemini-2.0-flash", endpoint: endpoint)
        #expect(http.url == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse")
        #expect(http.redactedURL.hasSuffix(":streamGenerateContent"))
        #expect(http.headers.contains { $0.name == "x-goog-api-key" && $0.value == "g-key" })
        let body = try JSONValue.parse(http.body ?? [])
        let system = body["systemInstruction"]?["parts"]?.arrayValue?.first?["text"]?.stringValue
        #expect(system?.hasPrefix("Top\n\nS\n\nAnswer with one JSON object") == true)
        #expect(body["generationConfig"]?["maxOutputTokens"] == 50)
        #expect(body["generationConfig"]?["responseMimeType"] == "application/json")
    }

    @Test func geminiStreamEndsWithTheBodyAndSafetyIsAContentFilter() {
        let stream = """
            data: {"candidates":[{"content":{"parts":[{"text":"Gem"}],"role":"model"}}],"modelVersion":"gemini-2.0-flash"}

            data: {"candidates":[{"content":{"parts":[{"text":"ini"}],"role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":2,"totalTokenCount":6}}


            """
        let (events, _) = self.decode(GeminiStreamDecoder(), stream)
        #expect(self.text(events) == "Gemini")
        #expect(events.contains(.finish(.stop)))
        #expect(events.contains(.usage(Usage(promptTokens: 4, completionTokens: 2))))
        let blocked = #"{"candidates":[{"finishReason":"SAFETY","content":{"parts":[]}}]}"#
        let completion = try? GeminiAdapter().parseCompletion(self.ok, body: Array(blocked.utf8), now: 0).get()
        #expect(completion?.finishReason == .contentFilter)
        let promptBlocked = #"{"promptFeedback":{"blockReason":"SAFETY"}}"#
        #expect((try? GeminiAdapter().parseCompletion(self.ok, body: Array(promptBlocked.utf8), now: 0).get())?.finishReason == .contentFilter)
    }

    @Test func geminiErrors() {
        let adapter = GeminiAdapter()
        let badKey = adapter.parseError(
            HTTPResponseHead(status: 400, headers: [:]),
            body: Array(#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}"#.utf8),
            now: 0)
        #expect(badKey.kind == .auth)
        let exhausted = adapter.parseError(
            HTTPResponseHead(status: 429, headers: [:]),
            body: Array(#"{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}"#.utf8),
            now: 0)
        #expect(exhausted.kind == .rateLimited)
        #expect(exhausted.hints.retryAfter == .seconds(37))
        let tooMany = adapter.parseError(
            HTTPResponseHead(status: 400, headers: [:]),
            body: Array(#"{"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}"#.utf8),
            now: 0)
        #expect(tooMany.kind == .contextLength)
    }

    @Test func classificationTable() {
        let rows: [(Int, String?, String?, String, ProviderError.Kind)] = [
            (401, nil, nil, "bad key", .auth),
            (403, nil, nil, "forbidden", .auth),
            (402, nil, nil, "pay", .quotaExhausted),
            (429, "insufficient_quota", nil, "quota", .quotaExhausted),
            (429, nil, nil, "slow down", .rateLimited),
            (429, "requests", "rate_limit_exceeded", "Visit https://platform.openai.com/account/billing", .rateLimited),
            (429, "RESOURCE_EXHAUSTED", nil, "You exceeded your current quota, please check your plan and billing details.", .rateLimited),
            (429, "insufficient_quota", "organization_spend_limit_exceeded", "", .quotaExhausted),
            (400, "invalid_request_error", "billing_hard_limit_reached", "Billing hard limit has been reached", .quotaExhausted),
            (400, nil, "context_length_exceeded", "", .contextLength),
            (400, nil, "content_filter", "", .contentFilter),
            (400, nil, nil, "Your credit balance is too low", .badRequest),
            (400, nil, nil, "bad field", .badRequest),
            (422, nil, nil, "unprocessable", .badRequest),
            (404, nil, nil, "no model", .notFound),
            (408, nil, nil, "timeout", .transient),
            (409, nil, nil, "conflict", .transient),
            (500, nil, nil, "oops", .serverError),
            (502, nil, nil, "", .serverError),
            (503, nil, nil, "", .serverError),
            (504, nil, nil, "", .serverError),
            (529, nil, nil, "", .overloaded),
        ]
        for (status, type, code, message, kind) in rows {
            #expect(WireFormat.classify(status: status, type: type, code: code, message: message) == kind, "\(status) \(message)")
        }
    }
}

// MARK: Quotas and rate limits, as the providers write them

extension AdapterFixtureTests {
    private func geminiQuota(_ violations: String, retryDelay: String? = "40s", message: String? = nil) -> [UInt8] {
        let retry = retryDelay.map { #",{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"\#($0)"}"# } ?? ""
        let text = message ?? "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
        return Array(
            #"""
            {"error":{"code":429,"message":"\#(text)","status":"RESOURCE_EXHAUSTED","details":[
              {"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[\#(violations)]},
              {"@type":"type.googleapis.com/google.rpc.Help","links":[{"description":"Learn more about Gemini API quotas","url":"https://ai.google.dev/gemini-api/docs/rate-limits"}]}\#(retry)
            ]}}
            """#.utf8
        )
    }

    private var limited: HTTPResponseHead { HTTPResponseHead(status: 429, headers: [:]) }
    /// 2026-11-21T02:00:00-08:00: 22 hours before midnight Pacific.
    private var saturdayTwoAM: Double { RFC3339.parse("2026-11-21T10:00:00Z")! }

    /// Issue 7, defect 4: a per-minute limit is a rate limit with Gemini's retryDelay, not an exhausted quota.
    @Test func geminiPerMinuteFreeTierIsARateLimit() {
        let body = self.geminiQuota(
            #"{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_input_token_count","quotaId":"GenerateContentInputTokensPerModelPerMinute-FreeTier","quotaDimensions":{"location":"global","model":"gemini-2.5-pro"},"quotaValue":"250000"}"#
        )
        let error = GeminiAdapter().parseError(self.limited, body: body, now: self.saturdayTwoAM)
        #expect(error.kind == .rateLimited)
        #expect(error.hints.retryAfter == .seconds(40))
        #expect(error.hints.quotaResetAfter == nil)
        #expect(FailurePolicy.disposition(for: error).breaker == .rateLimited)
    }

    @Test func geminiPerMinutePaidTierIsARateLimit() {
        let body = self.geminiQuota(
            #"{"quotaMetric":"generativelanguage.googleapis.com/generate_requests_per_model","quotaId":"GenerateRequestsPerMinutePerProjectPerModel","quotaDimensions":{"location":"global","model":"gemini-2.5-flash"},"quotaValue":"1000"}"#,
            retryDelay: "9s"
        )
        let error = GeminiAdapter().parseError(self.limited, body: body, now: self.saturdayTwoAM)
        #expect(error.kind == .rateLimited)
        #expect(error.hints.retryAfter == .seconds(9))
        #expect(error.hints.quotaResetAfter == nil)
    }

    /// A spent day waits for midnight Pacific; the RetryInfo Gemini sends with it is not a reason to retry.
    @Test func geminiPerDayWaitsForTheDailyReset() {
        let body = self.geminiQuota(
            #"{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier","quotaDimensions":{"location":"global","model":"gemini-2.5-flash"},"quotaValue":"250"}"#,
            retryDelay: "22s"
        )
        let error = GeminiAdapter().parseError(self.limited, body: body, now: self.saturdayTwoAM)
        #expect(error.kind == .rateLimited)
        #expect(error.hints.quotaResetAfter == .seconds(22 * 3600))
        #expect(error.hints.retryAfter == nil)
        #expect(FailurePolicy.disposition(for: error) == FailureDisposition(retrySameTarget: false, failover: .next, breaker: .targetCooldown))
        #expect(FailureReason.code(for: error, streamStarted: false) == "daily_quota")
    }

    /// A model without free-tier allowance: per-day and per-minute violations together, no quotaValue, "limit: 0"
    /// only in the message. The day decides.
    @Test func geminiZeroAllowanceWaitsForTheDailyReset() {
        let violations = [
            "GenerateRequestsPerDayPerProjectPerModel-FreeTier", "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
            "GenerateContentInputTokensPerModelPerMinute-FreeTier",
        ].map { #"{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"\#($0)","quotaDimensions":{"location":"global","model":"gemini-2.0-flash"}}"# }
        let message = "You exceeded your current quota, please check your plan and billing details. \\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0, model: gemini-2.0-flash\\nPlease retry in 10.689924287s."
        let error = GeminiAdapter().parseError(
            self.limited, body: self.geminiQuota(violations.joined(separator: ","), retryDelay: "10s", message: message), now: self.saturdayTwoAM)
        #expect(error.kind == .rateLimited)
        #expect(error.hints.quotaResetAfter == .seconds(22 * 3600))
    }

    @Test func geminiBillingAndBareExhaustion() {
        let depleted = GeminiAdapter().parseError(
            self.limited,
            body: Array(#"{"error":{"code":429,"message":"Your prepayment credits are depleted. Please go to AI Studio at https://ai.studio/projects to manage your project and billing.","status":"RESOURCE_EXHAUSTED"}}"#.utf8),
            now: 0)
        #expect(depleted.kind == .quotaExhausted)
        #expect(FailurePolicy.disposition(for: depleted).breaker == .providerQuota)
        // Without details there is nothing to wait for but backoff.
        let bare = GeminiAdapter().parseError(
            self.limited,
            body: Array(#"{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}"#.utf8),
            now: 0)
        #expect(bare.kind == .rateLimited)
        #expect(bare.hints == RetryHints())
    }

    /// OpenAI's free-tier rate-limit message links to the billing page; the code says it is a rate limit.
    @Test func openAIRateLimitsMentioningBillingAreRateLimits() {
        let adapter = OpenAICompatibleAdapter(preset: .openai)
        let perMinute = adapter.parseError(
            self.limited,
            body: Array(#"{"error":{"message":"Rate limit reached for gpt-3.5-turbo in organization org-abc on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more. You can increase your rate limit by adding a payment method to your account at https://platform.openai.com/account/billing.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#.utf8),
            now: 0)
        #expect(perMinute.kind == .rateLimited)
        #expect(perMinute.hints.retryAfter == .seconds(20))
        let perDay = adapter.parseError(
            self.limited,
            body: Array(#"{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-abc on requests per day (RPD): Limit 200, Used 200, Requested 1. Please try again in 7m12s. Visit https://platform.openai.com/account/rate-limits to learn more.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#.utf8),
            now: 0)
        #expect(perDay.kind == .rateLimited)
        #expect(perDay.hints.retryAfter == .seconds(432))
    }

    @Test func openAIAndDeepSeekBilling() {
        let adapter = OpenAICompatibleAdapter(preset: .openai)
        let bodies = [
            #"{"error":{"message":"You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
            #"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":null}}"#,
            #"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","code":"project_spend_limit_exceeded"}}"#,
            #"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","code":"credit_balance_exhausted"}}"#,
        ]
        for body in bodies {
            #expect(adapter.parseError(self.limited, body: Array(body.utf8), now: 0).kind == .quotaExhausted, "\(body)")
        }
        let deepSeek = OpenAICompatibleAdapter(preset: .deepseek)
        let broke = deepSeek.parseError(
            HTTPResponseHead(status: 402, headers: [:]),
            body: Array(#"{"error":{"message":"Insufficient Balance","type":"unknown_error","param":null,"code":"invalid_request_error"}}"#.utf8),
            now: 0)
        #expect(broke.kind == .quotaExhausted)
        #expect(FailureReason.code(for: broke, streamStarted: false) == "quota_exhausted")
        let busy = deepSeek.parseError(self.limited, body: Array(#"{"error":{"message":"Rate Limit Reached"}}"#.utf8), now: 0)
        #expect(busy.kind == .rateLimited)
    }
}
