import JunctionCore

extension ProviderRegistry.Provider {
    /// `model`'s limits as `providers.list` shows them: `context_window` and `max_output_tokens`
    /// where known, each with `_source` `"configured"` (the model's `[[providers.NAME.models]]` entry) or
    /// `"builtin"` (Junction's table, `ModelLimits`).
    func limitFields(of model: String, into object: inout JSONObject) {
        let configured = self.config.models.first { $0.id == model }
        let builtIn = self.builtInLimits(of: model)
        let fields: [(key: String, configured: Int?, builtIn: Int?)] = [
            ("context_window", configured?.contextWindow, builtIn?.contextWindow),
            ("max_output_tokens", configured?.maxOutputTokens, builtIn?.maxOutputTokens),
        ]
        for field in fields {
            if let value = field.configured {
                object[field.key] = .int(value)
                object[field.key + "_source"] = "configured"
            } else if let value = field.builtIn {
                object[field.key] = .int(value)
                object[field.key + "_source"] = "builtin"
            }
        }
    }
}
