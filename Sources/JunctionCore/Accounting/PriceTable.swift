/// Model prices per provider kind, with the lookup rules that turn the model id a request names into a price.
///
/// Lookup, per kind: Gemini ids lose a leading `models/`; then the exact id; then the longest listed id that the
/// model id starts with followed by `-` (dated snapshots and aliases: `gpt-4o-2024-08-06` → `gpt-4o`,
/// `claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`, `claude-3-5-haiku-latest` → `claude-3-5-haiku`), so
/// `gpt-4o-mini-…` finds `gpt-4o-mini`, never `gpt-4o`. Ollama runs models locally: every Ollama model costs 0
/// by rule. Kinds without a list (openai-compatible, cursor) have no price: their cost is unknown.
public struct PriceTable: Sendable, Equatable {
    /// The date the prices were read from the providers' pages, `YYYY-MM-DD`.
    public var asOf: String
    /// Model id → price, per provider kind.
    public var models: [ProviderKind: [String: ModelPrice]]

    public init(asOf: String, models: [ProviderKind: [String: ModelPrice]]) {
        self.asOf = asOf
        self.models = models
    }

    /// The version recorded beside a cost computed from this table: `builtin:<asOf>`.
    public var version: String { "builtin:\(self.asOf)" }

    /// A listed model and its price.
    public struct Entry: Sendable, Equatable {
        /// The listed id the lookup matched (the model id itself, or its family's id).
        public var model: String
        public var price: ModelPrice
    }

    /// The price of `model` as served by a provider of `kind`, or nil when the table does not know it.
    public func price(of model: String, kind: ProviderKind) -> ModelPrice? {
        self.entry(for: model, kind: kind)?.price
    }

    /// The listed entry that prices `model` (see the type's lookup rules). For Ollama, any model: free.
    public func entry(for model: String, kind: ProviderKind) -> Entry? {
        if kind.isLocal { return Entry(model: model, price: .free) }
        guard let found = ModelCatalogLookup.find(model, kind: kind, in: self.models[kind] ?? [:]) else { return nil }
        return Entry(model: found.id, price: found.value)
    }

    /// Every listed model of `kind`, sorted by id.
    public func entries(for kind: ProviderKind) -> [Entry] {
        (self.models[kind] ?? [:]).map { Entry(model: $0.key, price: $0.value) }.sorted { $0.model < $1.model }
    }
}

extension ProviderKind {
    /// Models run on the user's own machine: priced at zero by rule.
    public var isLocal: Bool { self == .ollama }
}
