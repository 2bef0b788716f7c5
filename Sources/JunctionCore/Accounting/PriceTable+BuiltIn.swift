extension PriceTable {
    /// The prices Junction knows without configuration: standard (not batch, not priority) pay-as-you-go rates
    /// for text, in micro-USD per million tokens, as the providers' pricing pages listed them. `asOf` is the day
    /// the table was put together; each provider's block says which page it follows and when that page was seen.
    ///
    /// - Ollama: 0 for every model, by rule (local inference; see `PriceTable.entry(for:kind:)`).
    /// - openai-compatible and cursor: no built-in prices (the server behind them is the user's); a model
    ///   without configured prices there has an unknown cost.
    /// - A model that is missing, or priced differently on your contract, is priced with the
    ///   `*_usd_per_mtok` keys of `[[providers.NAME.models]]`, which override this table field by field.
    public static let builtIn = PriceTable(
        asOf: "2026-12-02",
        models: [
            .openai: Self.openAI,
            .anthropic: Self.anthropic,
            .gemini: Self.gemini,
            .deepseek: Self.deepSeek,
            .qwen: Self.qwen,
        ]
    )

    /// OpenAI (developers.openai.com/api/docs/pricing, Standard tier). Reasoning tokens are output tokens.
    /// Cache writes are free (billed as input).
    private static let openAI: [String: ModelPrice] = [
        "gpt-5.2": ModelPrice(input: 1_750_000, output: 14_000_000, cachedInput: 175_000),
        "gpt-5.1": ModelPrice(input: 1_250_000, output: 10_000_000, cachedInput: 125_000),
        "gpt-5": ModelPrice(input: 1_250_000, output: 10_000_000, cachedInput: 125_000),
        "gpt-5-mini": ModelPrice(input: 250_000, output: 2_000_000, cachedInput: 25_000),
        "gpt-5-nano": ModelPrice(input: 50_000, output: 400_000, cachedInput: 5_000),
        "gpt-5-pro": ModelPrice(input: 15_000_000, output: 120_000_000),
        "gpt-4.1": ModelPrice(input: 2_000_000, output: 8_000_000, cachedInput: 500_000),
        "gpt-4.1-mini": ModelPrice(input: 400_000, output: 1_600_000, cachedInput: 100_000),
        "gpt-4.1-nano": ModelPrice(input: 100_000, output: 400_000, cachedInput: 25_000),
        "gpt-4o": ModelPrice(input: 2_500_000, output: 10_000_000, cachedInput: 1_250_000),
        // The first gpt-4o snapshot kept its launch price and has no cache discount.
        "gpt-4o-2024-05-13": ModelPrice(input: 5_000_000, output: 15_000_000),
        "gpt-4o-mini": ModelPrice(input: 150_000, output: 600_000, cachedInput: 75_000),
        "o1": ModelPrice(input: 15_000_000, output: 60_000_000, cachedInput: 7_500_000),
        "o3": ModelPrice(input: 2_000_000, output: 8_000_000, cachedInput: 500_000),
        "o3-mini": ModelPrice(input: 1_100_000, output: 4_400_000, cachedInput: 550_000),
        "o4-mini": ModelPrice(input: 1_100_000, output: 4_400_000, cachedInput: 275_000),
    ]

    /// Anthropic (platform.claude.com/docs/en/about-claude/pricing): base input, 5-minute cache writes
    /// (1.25 × input), 1-hour cache writes (2 × input), cache hits (0.1 × input), output (thinking included).
    /// Sonnet 4 and 4.5 bill a request whose prompt exceeds 200K tokens (1M-context beta) at the long-context
    /// rates, every token of it.
    private static let anthropic: [String: ModelPrice] = {
        func claude(_ input: MicroUSD, _ output: MicroUSD, longContext: LongContextTier? = nil) -> ModelPrice {
            ModelPrice(base: Self.claudeRates(input, output), longContext: longContext)
        }
        let sonnetLongContext = LongContextTier(
            aboveInputTokens: 200_000, rates: Self.claudeRates(6_000_000, 22_500_000)
        )
        return [
            "claude-opus-5": claude(5_000_000, 25_000_000),
            "claude-sonnet-5": claude(2_000_000, 10_000_000),
            "claude-opus-4-8": claude(5_000_000, 25_000_000),
            "claude-opus-4-7": claude(5_000_000, 25_000_000),
            "claude-opus-4-6": claude(5_000_000, 25_000_000),
            "claude-opus-4-5": claude(5_000_000, 25_000_000),
            "claude-opus-4-1": claude(15_000_000, 75_000_000),
            "claude-opus-4": claude(15_000_000, 75_000_000),
            "claude-sonnet-4-6": claude(3_000_000, 15_000_000),
            "claude-sonnet-4-5": claude(3_000_000, 15_000_000, longContext: sonnetLongContext),
            "claude-sonnet-4": claude(3_000_000, 15_000_000, longContext: sonnetLongContext),
            "claude-haiku-4-5": claude(1_000_000, 5_000_000),
            "claude-3-7-sonnet": claude(3_000_000, 15_000_000),
            "claude-3-5-haiku": claude(800_000, 4_000_000),
            "claude-3-haiku": ModelPrice(
                input: 250_000, output: 1_250_000, cachedInput: 30_000, cacheWrite: 300_000, cacheWrite1h: 500_000
            ),
        ]
    }()

    /// Anthropic's cache multipliers applied to a base input rate.
    private static func claudeRates(_ input: MicroUSD, _ output: MicroUSD) -> ModelRates {
        ModelRates(
            input: input, output: output, cachedInput: input / 10, cacheWrite: input * 5 / 4, cacheWrite1h: input * 2
        )
    }

    /// Google Gemini API (ai.google.dev/gemini-api/docs/pricing, paid tier, text input). Output includes
    /// thinking tokens. `cachedInput` is the context-caching read rate (storage per hour is not per request and
    /// not counted). 2.5 Pro bills prompts over 200K tokens at its long-context rates.
    private static let gemini: [String: ModelPrice] = [
        "gemini-2.5-pro": ModelPrice(
            input: 1_250_000, output: 10_000_000, cachedInput: 125_000,
            longContext: LongContextTier(
                aboveInputTokens: 200_000,
                rates: ModelRates(input: 2_500_000, output: 15_000_000, cachedInput: 250_000)
            )
        ),
        "gemini-2.5-flash": ModelPrice(input: 300_000, output: 2_500_000, cachedInput: 30_000),
        "gemini-2.5-flash-lite": ModelPrice(input: 100_000, output: 400_000, cachedInput: 10_000),
        "gemini-2.0-flash": ModelPrice(input: 100_000, output: 400_000, cachedInput: 25_000),
        "gemini-2.0-flash-lite": ModelPrice(input: 75_000, output: 300_000),
    ]

    /// DeepSeek (api-docs.deepseek.com/quick_start/pricing; both ids serve DeepSeek-V3.2): cache-miss input,
    /// cache-hit input, output (chain of thought included). Page as quoted in April 2026.
    private static let deepSeek: [String: ModelPrice] = [
        "deepseek-chat": ModelPrice(input: 280_000, output: 420_000, cachedInput: 28_000),
        "deepseek-reasoner": ModelPrice(input: 280_000, output: 420_000, cachedInput: 28_000),
    ]

    /// Qwen on Alibaba Cloud Model Studio, international (Singapore) deployment
    /// (alibabacloud.com/help/en/model-studio/models, context cache page of March 2026). Cache hits are the
    /// implicit cache's 20 % of input (explicit-cache hits, 10 %, are not told apart in usage), cache creation
    /// 125 % of input. Output is the non-thinking rate: thinking-mode output costs more and is not modelled.
    /// Prices tiered by prompt length: qwen-plus above 256K; qwen3-max above 32K at its 32K–128K rates
    /// (prompts over 128K cost more than this table says).
    private static let qwen: [String: ModelPrice] = {
        func qwen(_ input: MicroUSD, _ output: MicroUSD) -> ModelRates {
            ModelRates(input: input, output: output, cachedInput: input / 5, cacheWrite: input * 5 / 4)
        }
        return [
            "qwen-max": ModelPrice(base: qwen(1_600_000, 6_400_000)),
            "qwen-plus": ModelPrice(
                base: qwen(400_000, 1_200_000),
                longContext: LongContextTier(aboveInputTokens: 256_000, rates: qwen(1_200_000, 3_600_000))
            ),
            "qwen-turbo": ModelPrice(base: qwen(50_000, 200_000)),
            "qwen3-max": ModelPrice(
                base: qwen(1_200_000, 6_000_000),
                longContext: LongContextTier(aboveInputTokens: 32_000, rates: qwen(2_400_000, 12_000_000))
            ),
        ]
    }()
}
