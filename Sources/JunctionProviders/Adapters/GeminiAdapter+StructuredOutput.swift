import JunctionCore

extension GeminiAdapter {
    /// Adds to `config` (a `generationConfig`) what `request` asks for in structured output, thinking and seed,
    /// and returns the instruction the system prompt needs, if any.
    ///
    /// A schema goes in `responseJsonSchema` (JSON Schema, not the older OpenAPI `responseSchema`), rewritten to
    /// the keywords Gemini supports (`SchemaRewrite.gemini`, widening). JSON mode without a schema sets only
    /// `responseMimeType`, which allows any JSON value: the instruction asks for an object.
    func structuredOutput(_ request: ChatRequest, into config: inout JSONObject) -> String? {
        if let budget = request.thinkingBudget {
            config["thinkingConfig"] = ["thinkingBudget": .int(budget)]
        } else if request.adaptiveThinking != nil {
            // Gemini's dynamic thinking: the model decides the budget.
            config["thinkingConfig"] = ["thinkingBudget": -1]
        }
        if let seed = request.seed { config["seed"] = .int(seed) }
        switch request.responseFormat {
        case .text:
            return nil
        case .jsonObject:
            config["responseMimeType"] = "application/json"
            return request.responseFormat.systemInstruction
        case .jsonSchema(let format):
            config["responseMimeType"] = "application/json"
            config["responseJsonSchema"] = SchemaRewrite.gemini(format.schema)
            return nil
        }
    }
}
