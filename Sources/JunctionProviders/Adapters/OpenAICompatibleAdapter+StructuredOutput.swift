import JunctionCore

extension OpenAICompatibleAdapter {
    /// The `response_format` to send for `format`, and the instruction the system prompt needs with it.
    ///
    /// OpenAI takes a JSON Schema natively (`json_schema`, strict where the schema allows it: see
    /// `SchemaRewrite.openAIStrict`). DeepSeek, DashScope, Ollama and the generic servers are sent JSON mode
    /// (`json_object`) with the schema in the system prompt. JSON mode always gets an instruction: OpenAI rejects
    /// `json_object` unless the word "JSON" appears in the messages, and DeepSeek asks for the same. A schema whose
    /// root is not an object goes in the system prompt alone: JSON mode would force an object, and OpenAI's
    /// `json_schema` takes object roots only.
    func structuredOutput(_ format: ResponseFormat) -> (responseFormat: JSONValue?, instruction: String?) {
        switch format {
        case .text:
            return (nil, nil)
        case .jsonObject:
            return (["type": "json_object"], format.systemInstruction)
        case .jsonSchema(let requested) where !requested.describesObject:
            return (nil, format.systemInstruction)
        case .jsonSchema(let requested):
            guard self.preset == .openai else { return (["type": "json_object"], format.systemInstruction) }
            let sent = SchemaRewrite.openAIStrict(requested.schema, strict: requested.strict)
            let schema: JSONValue = [
                "name": .string(requested.name), "schema": sent.schema, "strict": .bool(sent.strict),
            ]
            return (["type": "json_schema", "json_schema": schema], nil)
        }
    }

    /// Whether the preset's API takes `seed`: OpenAI, DashScope (Qwen), Ollama and the usual compatible servers
    /// (vLLM, llama.cpp, LM Studio) do; DeepSeek's chat completion API does not list it, so it is not sent there.
    var acceptsSeed: Bool { self.preset != .deepseek }
}
