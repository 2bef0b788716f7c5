extension ResponseFormat {
    /// The instruction adapters add to the system prompt where the provider's own mechanism does not carry the
    /// whole request: JSON mode without a schema, or a schema the provider cannot take natively. It always
    /// contains the word "JSON" (OpenAI and DeepSeek refuse JSON mode without it), and for a schema the words
    /// "JSON Schema" followed by the schema in compact JSON.
    public var systemInstruction: String? {
        switch self {
        case .text:
            nil
        case .jsonObject:
            "Answer with one JSON object and nothing else."
        case .jsonSchema(let format) where format.describesObject:
            "Answer with one JSON object that follows this JSON Schema, and nothing else: \(format.schema.compactText)"
        case .jsonSchema(let format):
            "Answer with one JSON value that follows this JSON Schema, and nothing else: \(format.schema.compactText)"
        }
    }
}

extension JSONSchemaFormat {
    /// The schema's root is an object schema (`type: "object"`, or `properties` without a `type`): what JSON mode,
    /// OpenAI's `json_schema` and a tool's input can carry. Any other root (an array, a string, a union) is asked
    /// for in the system prompt alone.
    public var describesObject: Bool {
        switch self.schema["type"] {
        case .string("object")?: true
        case nil: self.schema["properties"] != nil
        default: false
        }
    }
}

extension ChatRequest {
    /// `combinedSystemPrompt` with `instruction` appended as its own paragraph (nil: unchanged).
    public func systemPrompt(adding instruction: String?) -> String? {
        let parts = [self.combinedSystemPrompt, instruction].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: "\n\n")
    }
}
