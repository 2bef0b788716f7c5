/// How a model id a request names finds its entry in a per-kind table of listed models (the price table, the
/// built-in limits): Gemini ids lose a leading `models/`; then the exact id; then the longest listed id that the
/// model id starts with followed by `-` (dated snapshots and aliases: `gpt-4o-2024-08-06` → `gpt-4o`,
/// `claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`), so `gpt-4o-mini-…` finds `gpt-4o-mini`, never `gpt-4o`.
public enum ModelCatalogLookup {
    /// The listed id that matched and its value, or nil.
    public static func find<Value>(
        _ model: String,
        kind: ProviderKind,
        in listed: [String: Value]
    ) -> (id: String, value: Value)? {
        guard !listed.isEmpty else { return nil }
        let id = kind == .gemini && model.hasPrefix("models/") ? String(model.dropFirst("models/".count)) : model
        if let value = listed[id] { return (id, value) }
        let family = listed.keys.filter { id.hasPrefix($0 + "-") }.max { $0.count < $1.count }
        return family.flatMap { family in listed[family].map { (family, $0) } }
    }
}
