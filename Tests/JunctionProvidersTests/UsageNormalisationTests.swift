import JunctionCore
import Testing

@testable import JunctionProviders

/// Each provider's usage fields, normalised by its adapter and priced with the built-in table. The costs are
/// worked out by hand in the comments: a field read at the wrong meaning shows up as a wrong amount.
@Suite("Usage normalisation")
struct UsageNormalisationTests {
    private let ok = HTTPResponseHead(status: 200, headers: [:])

    private func completion(_ adapter: some ProviderAdapter, _ body: String) throws -> Completion {
        try adapter.parseCompletion(self.ok, body: Array(body.utf8), now: 0).get()
    }

    private func lastUsage(_ decoder: some StreamDecoding, _ text: String, chunk: Int = 11) -> Usage? {
        var decoder = decoder
        let bytes = Array(text.utf8)
        var usage: Usage?
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            for event in decoder.feed(Array(bytes[start..<min(start + chunk, bytes.count)])) {
                if case .usage(let update) = event { usage = update }
            }
        }
        return usage
    }

    private func cost(_ usage: Usage?, _ model: String, _ kind: ProviderKind) throws -> CostBreakdown {
        let price = try #require(PriceTable.builtIn.price(of: model, kind: kind), "\(model) has a built-in price")
        return Pricing.cost(of: try #require(usage), at: price)
    }

    @Test func openAICachedTokensAreInsideThePrompt() throws {
        let body = #"{"id":"c","model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"stop"}],"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920},"completion_tokens_details":{"reasoning_tokens":0}}}"#
        let completion = try self.completion(OpenAICompatibleAdapter(preset: .openai), body)
        #expect(completion.usage == Usage(promptTokens: 2_006, completionTokens: 300, cachedTokens: 1_920))
        // gpt-4o: input 2.50, cached 1.25, output 10 (USD / Mtok).
        // uncached 86 × 2_500_000 → 215 µ$; cached 1_920 × 1_250_000 → 2_400 µ$; output 300 × 10_000_000 → 3_000 µ$.
        let cost = try self.cost(completion.usage, completion.model, .openai)
        #expect(cost == CostBreakdown(input: 215, cachedInput: 2_400, output: 3_000))
        #expect(cost.total == 5_615)
    }

    @Test func openAIReasoningIsInsideTheCompletionInAStream() throws {
        let stream = """
            data: {"id":"c","model":"o4-mini-2025-04-16","choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}

            data: {"id":"c","choices":[],"usage":{"prompt_tokens":1000,"completion_tokens":700,"total_tokens":1700,"prompt_tokens_details":{"cached_tokens":512},"completion_tokens_details":{"reasoning_tokens":640}}}

            data: [DONE]


            """
        let usage = self.lastUsage(OpenAIStreamDecoder(), stream)
        #expect(usage == Usage(promptTokens: 1_000, completionTokens: 700, cachedTokens: 512, reasoningTokens: 640))
        // o4-mini: input 1.10, cached 0.275, output 4.40 (reasoning billed as output).
        // uncached 488 × 1_100_000 = 536.8 → 537 µ$; cached 512 × 275_000 = 140.8 → 141 µ$;
        // output 60 × 4_400_000 → 264 µ$; reasoning 640 × 4_400_000 → 2_816 µ$.
        let cost = try self.cost(usage, "o4-mini-2025-04-16", .openai)
        #expect(cost == CostBreakdown(input: 537, cachedInput: 141, output: 264, reasoning: 2_816))
        #expect(cost.total == 3_758)
    }

    @Test func anthropicCacheWritesAreBilledOnceAtTheirDurationRates() throws {
        let body = #"{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"x"}],"stop_reason":"end_turn","usage":{"input_tokens":700,"cache_creation_input_tokens":300,"cache_read_input_tokens":200,"cache_creation":{"ephemeral_5m_input_tokens":200,"ephemeral_1h_input_tokens":100},"output_tokens":50}}"#
        let completion = try self.completion(AnthropicAdapter(), body)
        // input_tokens exclude cache reads and writes: the prompt is 700 + 300 + 200.
        let expected = Usage(
            promptTokens: 1_200, completionTokens: 50, cachedTokens: 200, cacheWriteTokens: 300, cacheWrite1hTokens: 100
        )
        #expect(completion.usage == expected)
        // claude-sonnet-4-5: input 3, 5m write 3.75, 1h write 6, cache hit 0.30, output 15.
        // input 700 × 3_000_000 → 2_100 µ$ (the 300 written are not input again);
        // cache hit 200 × 300_000 → 60 µ$; writes 200 × 3_750_000 + 100 × 6_000_000 → 1_350 µ$;
        // output 50 × 15_000_000 → 750 µ$.
        let cost = try self.cost(completion.usage, completion.model, .anthropic)
        #expect(cost == CostBreakdown(input: 2_100, cachedInput: 60, cacheWrite: 1_350, output: 750))
        #expect(cost.total == 4_260)

        // Streamed: input counts in message_start, output in message_delta.
        let stream = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","model":"claude-sonnet-4-5-20250929","usage":{"input_tokens":700,"cache_creation_input_tokens":300,"cache_read_input_tokens":200,"cache_creation":{"ephemeral_5m_input_tokens":200,"ephemeral_1h_input_tokens":100},"output_tokens":1}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":50}}

            event: message_stop
            data: {"type":"message_stop"}


            """
        #expect(self.lastUsage(AnthropicStreamDecoder(), stream) == expected)
    }

    @Test func anthropicCacheWritesWithoutTheDurationSplitAreFiveMinuteOnes() throws {
        let body = #"{"id":"m","model":"claude-haiku-4-5","content":[],"usage":{"input_tokens":10,"cache_creation_input_tokens":1000,"output_tokens":5}}"#
        let usage = try self.completion(AnthropicAdapter(), body).usage
        #expect(usage == Usage(promptTokens: 1_010, completionTokens: 5, cacheWriteTokens: 1_000))
        // claude-haiku-4-5: input 1, 5m write 1.25, output 5.
        // 10 × 1_000_000 → 10 µ$; 1_000 × 1_250_000 → 1_250 µ$; 5 × 5_000_000 → 25 µ$.
        #expect(try self.cost(usage, "claude-haiku-4-5", .anthropic).total == 1_285)
    }

    @Test func geminiThoughtsAreOutsideTheCandidates() throws {
        let body = #"{"candidates":[{"content":{"parts":[{"text":"x"}],"role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":1000,"cachedContentTokenCount":400,"candidatesTokenCount":100,"thoughtsTokenCount":250,"totalTokenCount":1350},"modelVersion":"gemini-2.5-flash"}"#
        let completion = try self.completion(GeminiAdapter(), body)
        #expect(completion.usage == Usage(promptTokens: 1_000, completionTokens: 350, cachedTokens: 400, reasoningTokens: 250))
        // gemini-2.5-flash: input 0.30, cached 0.03, output 2.50 (thinking included).
        // uncached 600 × 300_000 → 180 µ$; cached 400 × 30_000 → 12 µ$; answer 100 × 2_500_000 → 250 µ$;
        // thoughts 250 × 2_500_000 → 625 µ$.
        let cost = try self.cost(completion.usage, "models/gemini-2.5-flash", .gemini)
        #expect(cost == CostBreakdown(input: 180, cachedInput: 12, output: 250, reasoning: 625))
        #expect(cost.total == 1_067)

        let stream = """
            data: {"candidates":[{"content":{"parts":[{"text":"x"}],"role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":1000,"cachedContentTokenCount":400,"candidatesTokenCount":100,"thoughtsTokenCount":250,"totalTokenCount":1350},"modelVersion":"gemini-2.5-flash"}


            """
        #expect(self.lastUsage(GeminiStreamDecoder(), stream) == completion.usage)
    }

    @Test func deepSeekCacheHitsAndMisses() throws {
        let body = #"{"id":"d","model":"deepseek-reasoner","choices":[{"index":0,"message":{"role":"assistant","content":"x","reasoning_content":"r"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1500,"completion_tokens":200,"total_tokens":1700,"prompt_cache_hit_tokens":1000,"prompt_cache_miss_tokens":500,"completion_tokens_details":{"reasoning_tokens":150}}}"#
        let completion = try self.completion(OpenAICompatibleAdapter(preset: .deepseek), body)
        #expect(completion.usage == Usage(promptTokens: 1_500, completionTokens: 200, cachedTokens: 1_000, reasoningTokens: 150))
        // deepseek-reasoner: cache miss 0.28, cache hit 0.028, output 0.42 (chain of thought included).
        // miss 500 × 280_000 → 140 µ$; hit 1_000 × 28_000 → 28 µ$; answer 50 × 420_000 = 21 µ$;
        // reasoning 150 × 420_000 = 63 µ$.
        let cost = try self.cost(completion.usage, completion.model, .deepseek)
        #expect(cost == CostBreakdown(input: 140, cachedInput: 28, output: 21, reasoning: 63))
        #expect(cost.total == 252)
    }

    @Test func dashScopeExplicitCacheWrites() throws {
        let body = #"{"id":"q","model":"qwen-plus","choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3000,"completion_tokens":100,"total_tokens":3100,"prompt_tokens_details":{"cached_tokens":0,"cache_creation_input_tokens":2048,"cache_creation":{"ephemeral_5m_input_tokens":2048},"cache_type":"ephemeral"}}}"#
        let completion = try self.completion(OpenAICompatibleAdapter(preset: .qwen), body)
        #expect(completion.usage == Usage(promptTokens: 3_000, completionTokens: 100, cacheWriteTokens: 2_048))
        // qwen-plus: input 0.40, cache creation 0.50 (125 %), output 1.20.
        // uncached 952 × 400_000 = 380.8 → 381 µ$; written 2_048 × 500_000 → 1_024 µ$; output 100 × 1_200_000 → 120 µ$.
        let cost = try self.cost(completion.usage, "qwen-plus", .qwen)
        #expect(cost == CostBreakdown(input: 381, cacheWrite: 1_024, output: 120))
    }

    @Test func ollamaUsageIsPlainAndFree() throws {
        let body = #"{"id":"o","model":"llama3.2","choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"stop"}],"usage":{"prompt_tokens":26,"completion_tokens":9,"total_tokens":35}}"#
        let completion = try self.completion(OpenAICompatibleAdapter(preset: .ollama), body)
        #expect(completion.usage == Usage(promptTokens: 26, completionTokens: 9))
        #expect(try self.cost(completion.usage, "llama3.2", .ollama).total == 0)
    }
}
