/// Why the model stopped.
public enum FinishReason: String, Sendable, Equatable {
    case stop
    case length
    case contentFilter = "content_filter"
    case toolCalls = "tool_calls"
    case error
}

/// Token counts of one answer, normalised across providers: the adapters map each provider's fields onto these
/// meanings, so that pricing never needs to know where the numbers came from.
public struct Usage: Sendable, Equatable {
    /// All input tokens: uncached, cache reads and cache writes.
    public var promptTokens: Int
    /// All output tokens, reasoning included.
    public var completionTokens: Int
    /// Prompt tokens read from the provider's cache (inside `promptTokens`).
    public var cachedTokens: Int
    /// Prompt tokens written to the provider's cache, at any duration (inside `promptTokens`).
    public var cacheWriteTokens: Int
    /// The part of `cacheWriteTokens` written at the 1-hour rate (Anthropic's `ephemeral_1h_input_tokens`).
    public var cacheWrite1hTokens: Int
    /// Reasoning ("thinking") tokens (inside `completionTokens`).
    public var reasoningTokens: Int

    public init(
        promptTokens: Int = 0,
        completionTokens: Int = 0,
        cachedTokens: Int = 0,
        cacheWriteTokens: Int = 0,
        cacheWrite1hTokens: Int = 0,
        reasoningTokens: Int = 0
    ) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedTokens = cachedTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.cacheWrite1hTokens = cacheWrite1hTokens
        self.reasoningTokens = reasoningTokens
    }

    public var totalTokens: Int { self.promptTokens + self.completionTokens }

    public var json: JSONValue {
        [
            "prompt_tokens": .int(self.promptTokens),
            "completion_tokens": .int(self.completionTokens),
            "total_tokens": .int(self.totalTokens),
            "cached_tokens": .int(self.cachedTokens),
            "cache_write_tokens": .int(self.cacheWriteTokens),
            "reasoning_tokens": .int(self.reasoningTokens),
        ]
    }
}

/// A finished answer from one provider.
public struct Completion: Sendable, Equatable {
    public var text: String
    /// Reasoning text some models return apart from the answer (DeepSeek's `reasoning_content`).
    public var reasoning: String?
    public var finishReason: FinishReason
    /// The model that actually answered, as the provider reports it.
    public var model: String
    public var usage: Usage?
    /// The provider's id for the request (for support tickets).
    public var providerRequestID: String?
    /// The stop sequence that ended the answer, where the provider says which (Anthropic's `stop_sequence`).
    public var stopSequence: String?

    public init(
        text: String,
        reasoning: String? = nil,
        finishReason: FinishReason,
        model: String,
        usage: Usage? = nil,
        providerRequestID: String? = nil,
        stopSequence: String? = nil
    ) {
        self.text = text
        self.reasoning = reasoning
        self.finishReason = finishReason
        self.model = model
        self.usage = usage
        self.providerRequestID = providerRequestID
        self.stopSequence = stopSequence
    }
}

/// One event of a streamed answer, normalised across providers.
public enum StreamEvent: Sendable, Equatable {
    /// Answer text.
    case delta(String)
    /// Reasoning text, kept apart from the answer.
    case reasoning(String)
    /// Token counts (providers send them cumulatively or at the end; the last one wins).
    case usage(Usage)
    case finish(FinishReason)
    /// The stop sequence that ended the answer (Anthropic says which).
    case stopSequence(String)
    /// The model and request id, when the provider announces them.
    case metadata(model: String?, requestID: String?)
    /// The provider's end-of-stream marker (`[DONE]`, `message_stop`).
    case end
    /// The provider reported an error inside the stream.
    case error(ProviderError)
}
