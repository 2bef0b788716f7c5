/// One set of per-token rates, each in integer micro-USD per million tokens (`1_250_000` is $1.25 / MTok).
///
/// Only `input` and `output` are required; a missing rate falls back to the one the provider bills in its
/// place: cached input and cache writes to `input`, 1-hour cache writes to `cacheWrite`, reasoning to `output`.
public struct ModelRates: Sendable, Equatable {
    /// Uncached prompt tokens.
    public var input: MicroUSD
    /// Answer tokens (and reasoning tokens, unless `reasoning` is set).
    public var output: MicroUSD
    /// Prompt tokens read from the provider's cache (OpenAI "cached input", Anthropic "cache hits",
    /// DeepSeek "cache hit").
    public var cachedInput: MicroUSD?
    /// Prompt tokens written to the cache: the 5-minute rate, or the only rate where there is one.
    public var cacheWrite: MicroUSD?
    /// Prompt tokens written to the cache at Anthropic's 1-hour rate.
    public var cacheWrite1h: MicroUSD?
    /// Reasoning tokens, where a provider bills them apart from the answer.
    public var reasoning: MicroUSD?

    public init(
        input: MicroUSD,
        output: MicroUSD,
        cachedInput: MicroUSD? = nil,
        cacheWrite: MicroUSD? = nil,
        cacheWrite1h: MicroUSD? = nil,
        reasoning: MicroUSD? = nil
    ) {
        self.input = input
        self.output = output
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
        self.cacheWrite1h = cacheWrite1h
        self.reasoning = reasoning
    }

    /// Every rate zero: local models (Ollama) cost nothing.
    public static let free = ModelRates(input: 0, output: 0)

    public var effectiveCachedInput: MicroUSD { self.cachedInput ?? self.input }
    public var effectiveCacheWrite: MicroUSD { self.cacheWrite ?? self.input }
    public var effectiveCacheWrite1h: MicroUSD { self.cacheWrite1h ?? self.effectiveCacheWrite }
    public var effectiveReasoning: MicroUSD { self.reasoning ?? self.output }

    /// The dearest rate any prompt token can be billed at.
    public var highestInputSide: MicroUSD {
        max(self.input, self.effectiveCachedInput, self.effectiveCacheWrite, self.effectiveCacheWrite1h)
    }

    /// The dearest rate any completion token can be billed at.
    public var highestOutputSide: MicroUSD {
        max(self.output, self.effectiveReasoning)
    }
}

/// Rates that replace the base ones for a whole request whose prompt is longer than a threshold (Anthropic's
/// and Gemini's "> 200K input tokens" prices).
public struct LongContextTier: Sendable, Equatable {
    /// The tier applies when `Usage.promptTokens` is greater than this.
    public var aboveInputTokens: Int
    public var rates: ModelRates

    public init(aboveInputTokens: Int, rates: ModelRates) {
        self.aboveInputTokens = aboveInputTokens
        self.rates = rates
    }
}

/// What one model costs: its base rates and, for some models, a long-context tier.
public struct ModelPrice: Sendable, Equatable {
    public var base: ModelRates
    public var longContext: LongContextTier?

    public init(base: ModelRates, longContext: LongContextTier? = nil) {
        self.base = base
        self.longContext = longContext
    }

    /// Rates in micro-USD per million tokens; see `ModelRates` for what each one covers.
    public init(
        input: MicroUSD,
        output: MicroUSD,
        cachedInput: MicroUSD? = nil,
        cacheWrite: MicroUSD? = nil,
        cacheWrite1h: MicroUSD? = nil,
        reasoning: MicroUSD? = nil,
        longContext: LongContextTier? = nil
    ) {
        self.init(
            base: ModelRates(
                input: input, output: output, cachedInput: cachedInput, cacheWrite: cacheWrite,
                cacheWrite1h: cacheWrite1h, reasoning: reasoning
            ),
            longContext: longContext
        )
    }

    /// Zero for every token.
    public static let free = ModelPrice(base: .free)

    /// The rates a request with this many prompt tokens is billed at: the tier's when the prompt is over its
    /// threshold, else the base ones.
    public func rates(forPromptTokens promptTokens: Int) -> ModelRates {
        if let tier = self.longContext, promptTokens > tier.aboveInputTokens { return tier.rates }
        return self.base
    }
}
