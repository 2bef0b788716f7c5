/// How much a model takes and gives: the context window (prompt and answer together; for Gemini, the input token
/// limit) and the most output tokens one answer may have (`max_tokens` above it is refused by the provider).
public struct ModelLimits: Sendable, Equatable {
    public var contextWindow: Int
    public var maxOutputTokens: Int

    public init(contextWindow: Int, maxOutputTokens: Int) {
        self.contextWindow = contextWindow
        self.maxOutputTokens = maxOutputTokens
    }

    /// The built-in limits of `model` as served by a provider of `kind`, or nil when Junction does not know them
    /// (Ollama, openai-compatible and cursor have no built-in entries: the model behind them is the user's).
    ///
    /// The model id is matched as the price table matches it (`ModelCatalogLookup`).
    public static func builtIn(for model: String, kind: ProviderKind) -> ModelLimits? {
        Self.builtInEntry(for: model, kind: kind)?.limits
    }

    /// A listed model and its limits.
    public struct Entry: Sendable, Equatable {
        /// The listed id the lookup matched (the model id itself, or its family's id).
        public var model: String
        public var limits: ModelLimits
    }

    /// The built-in entry that holds the limits of `model` (see `builtIn(for:kind:)`).
    public static func builtInEntry(for model: String, kind: ProviderKind) -> Entry? {
        guard let found = ModelCatalogLookup.find(model, kind: kind, in: Self.builtInTable[kind] ?? [:]) else {
            return nil
        }
        return Entry(model: found.id, limits: found.value)
    }
}
