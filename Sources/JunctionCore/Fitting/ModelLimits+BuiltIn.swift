extension ModelLimits {
    /// The day the built-in limits were read from the providers' model pages, `YYYY-MM-DD`.
    public static let builtInAsOf = "2026-12-02"

    /// The limits Junction knows without configuration, per provider kind and model id (looked up as
    /// `builtIn(for:kind:)` says). Each block names the page it follows. A window that needs an opt-in
    /// (Anthropic's 1M-context beta header) is listed at its default size.
    ///
    /// - Ollama, openai-compatible and cursor: no entries (the server and model behind them are the user's).
    /// - A model that is missing, or limited differently on your account, takes `context_window` and
    ///   `max_output_tokens` in `[[providers.NAME.models]]`, which override these figures one by one.
    public static let builtInTable: [ProviderKind: [String: ModelLimits]] = [
        .openai: Self.openAI,
        .anthropic: Self.anthropic,
        .gemini: Self.gemini,
        .deepseek: Self.deepSeek,
        .qwen: Self.qwen,
    ]

    /// OpenAI (developers.openai.com/api/docs/models/MODEL, the model pages' "context window" and "max output
    /// tokens"). The `-chat-latest` aliases are ChatGPT's snapshots, with the smaller window of a chat model.
    private static let openAI: [String: ModelLimits] = [
        "gpt-5.2": ModelLimits(contextWindow: 400_000, maxOutputTokens: 128_000),
        "gpt-5.2-chat-latest": ModelLimits(contextWindow: 128_000, maxOutputTokens: 16_384),
        "gpt-5.1": ModelLimits(contextWindow: 400_000, maxOutputTokens: 128_000),
        "gpt-5.1-chat-latest": ModelLimits(contextWindow: 128_000, maxOutputTokens: 16_384),
        "gpt-5": ModelLimits(contextWindow: 400_000, maxOutputTokens: 128_000),
        "gpt-5-chat-latest": ModelLimits(contextWindow: 128_000, maxOutputTokens: 16_384),
        "gpt-5-mini": ModelLimits(contextWindow: 400_000, maxOutputTokens: 128_000),
        "gpt-5-nano": ModelLimits(contextWindow: 400_000, maxOutputTokens: 128_000),
        "gpt-5-pro": ModelLimits(contextWindow: 400_000, maxOutputTokens: 272_000),
        "gpt-4.1": ModelLimits(contextWindow: 1_047_576, maxOutputTokens: 32_768),
        "gpt-4.1-mini": ModelLimits(contextWindow: 1_047_576, maxOutputTokens: 32_768),
        "gpt-4.1-nano": ModelLimits(contextWindow: 1_047_576, maxOutputTokens: 32_768),
        "gpt-4o": ModelLimits(contextWindow: 128_000, maxOutputTokens: 16_384),
        // The first gpt-4o snapshot answers at most 4,096 tokens.
        "gpt-4o-2024-05-13": ModelLimits(contextWindow: 128_000, maxOutputTokens: 4_096),
        "gpt-4o-mini": ModelLimits(contextWindow: 128_000, maxOutputTokens: 16_384),
        "o1": ModelLimits(contextWindow: 200_000, maxOutputTokens: 100_000),
        "o3": ModelLimits(contextWindow: 200_000, maxOutputTokens: 100_000),
        "o3-mini": ModelLimits(contextWindow: 200_000, maxOutputTokens: 100_000),
        "o4-mini": ModelLimits(contextWindow: 200_000, maxOutputTokens: 100_000),
    ]

    /// Anthropic (platform.claude.com/docs/en/models/MODEL/overview: "Context window" and "Max output"). Sonnet
    /// 4.6's page now says 128K output (an earlier models overview said 64K). Opus 4 and 4.1 (200K, 32K) have no
    /// page left in the docs seen; their figures are the ones model catalogues carry (docs.rs mixtape-core).
    /// Sonnet 4 and 4.5 reach 1M tokens only with the 1M-context beta header, which Junction does not send:
    /// their window here is the default 200K.
    private static let anthropic: [String: ModelLimits] = [
        "claude-opus-5": ModelLimits(contextWindow: 1_000_000, maxOutputTokens: 128_000),
        "claude-sonnet-5": ModelLimits(contextWindow: 1_000_000, maxOutputTokens: 128_000),
        "claude-opus-4-8": ModelLimits(contextWindow: 1_000_000, maxOutputTokens: 128_000),
        "claude-opus-4-7": ModelLimits(contextWindow: 1_000_000, maxOutputTokens: 128_000),
        "claude-opus-4-6": ModelLimits(contextWindow: 1_000_000, maxOutputTokens: 128_000),
        "claude-opus-4-5": ModelLimits(contextWindow: 200_000, maxOutputTokens: 64_000),
        "claude-opus-4-1": ModelLimits(contextWindow: 200_000, maxOutputTokens: 32_000),
        "claude-opus-4": ModelLimits(contextWindow: 200_000, maxOutputTokens: 32_000),
        "claude-sonnet-4-6": ModelLimits(contextWindow: 1_000_000, maxOutputTokens: 128_000),
        "claude-sonnet-4-5": ModelLimits(contextWindow: 200_000, maxOutputTokens: 64_000),
        "claude-sonnet-4": ModelLimits(contextWindow: 200_000, maxOutputTokens: 64_000),
        "claude-haiku-4-5": ModelLimits(contextWindow: 200_000, maxOutputTokens: 64_000),
    ]

    /// Google Gemini API (ai.google.dev/gemini-api/docs/models/MODEL: "Input token limit" and "Output token
    /// limit"). Gemini limits input and output apart, so the window here is the input limit; fitting still
    /// reserves the answer inside it, which errs on the safe side.
    private static let gemini: [String: ModelLimits] = [
        "gemini-3-pro-preview": ModelLimits(contextWindow: 1_048_576, maxOutputTokens: 65_536),
        "gemini-2.5-pro": ModelLimits(contextWindow: 1_048_576, maxOutputTokens: 65_536),
        "gemini-2.5-flash": ModelLimits(contextWindow: 1_048_576, maxOutputTokens: 65_536),
        "gemini-2.5-flash-lite": ModelLimits(contextWindow: 1_048_576, maxOutputTokens: 65_536),
        "gemini-2.0-flash": ModelLimits(contextWindow: 1_048_576, maxOutputTokens: 8_192),
        "gemini-2.0-flash-lite": ModelLimits(contextWindow: 1_048_576, maxOutputTokens: 8_192),
    ]

    /// DeepSeek (api-docs.deepseek.com/quick_start/pricing, both ids serving DeepSeek-V3.2): a 128K context
    /// length; max output 8K for deepseek-chat, 64K (chain of thought included) for deepseek-reasoner.
    private static let deepSeek: [String: ModelLimits] = [
        "deepseek-chat": ModelLimits(contextWindow: 128_000, maxOutputTokens: 8_192),
        "deepseek-reasoner": ModelLimits(contextWindow: 128_000, maxOutputTokens: 65_536),
    ]

    /// Qwen on Alibaba Cloud Model Studio, international deployment (alibabacloud.com/help/en/model-studio/models:
    /// "Context window" and "Max output" of the stable ids). Older dated snapshots (qwen-plus-2025-01-25 and
    /// the like) had smaller windows: configure them if you pin one.
    private static let qwen: [String: ModelLimits] = [
        "qwen3-max": ModelLimits(contextWindow: 262_144, maxOutputTokens: 65_536),
        "qwen-max": ModelLimits(contextWindow: 32_768, maxOutputTokens: 8_192),
        "qwen-plus": ModelLimits(contextWindow: 1_000_000, maxOutputTokens: 32_768),
        "qwen-turbo": ModelLimits(contextWindow: 1_000_000, maxOutputTokens: 16_384),
        "qwen-flash": ModelLimits(contextWindow: 1_000_000, maxOutputTokens: 32_768),
    ]
}
