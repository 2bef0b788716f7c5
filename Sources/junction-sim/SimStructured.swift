import JunctionCore

/// What structured-output mechanism a chat request carried, read from its body for the request log.
///
/// `mechanism` is one of:
/// - `none`: plain text;
/// - `openai_json_schema_strict` / `openai_json_schema`: `response_format.type == "json_schema"`, with
///   `json_schema.strict` true or not;
/// - `json_object`: `response_format.type == "json_object"` (OpenAI-compatible JSON mode);
/// - `anthropic_output_format`: `output_config.format` or the beta `output_format` of type `json_schema`;
/// - `anthropic_tool`: `tool_choice: {type: "tool", name}` (a forced tool);
/// - `gemini_json_schema`: `generationConfig.responseJsonSchema` (or the older `responseSchema`);
/// - `gemini_json`: `generationConfig.responseMimeType == "application/json"` without a schema.
struct SimStructured: Sendable, Equatable {
    var mechanism = "none"
    /// The system prompt contains "JSON Schema" (the schema was written into it).
    var schemaInSystem = false
    /// Anthropic `thinking.budget_tokens` or Gemini `generationConfig.thinkingConfig.thinkingBudget`.
    var thinking: Int?
    /// Anthropic `thinking.type` (`enabled`, `adaptive`) and `output_config.effort`.
    var thinkingType: String?
    var effort: String?
    /// The forced tool's name (Anthropic), which the answer then calls.
    var forcedTool: String?

    static func inspect(_ format: SimFormat, body json: JSONValue?) -> SimStructured {
        var found = SimStructured()
        guard let json else { return found }
        switch format {
        case .openai:
            let responseFormat = json["response_format"]
            switch responseFormat?["type"]?.stringValue {
            case "json_schema"?:
                let strict = responseFormat?["json_schema"]?["strict"] == true
                found.mechanism = strict ? "openai_json_schema_strict" : "openai_json_schema"
            case "json_object"?:
                found.mechanism = "json_object"
            default:
                break
            }
            let system = (json["messages"]?.arrayValue ?? []).filter { $0["role"] == "system" }
            found.schemaInSystem = system.contains { Self.text(of: $0["content"]).contains("JSON Schema") }
        case .anthropic:
            let native = json["output_config"]?["format"] ?? json["output_format"]
            if native?["type"] == "json_schema" {
                found.mechanism = "anthropic_output_format"
            } else if json["tool_choice"]?["type"] == "tool" {
                found.mechanism = "anthropic_tool"
                found.forcedTool = json["tool_choice"]?["name"]?.stringValue
            }
            found.schemaInSystem = Self.text(of: json["system"]).contains("JSON Schema")
            found.thinking = json["thinking"]?["budget_tokens"]?.intValue
            found.thinkingType = json["thinking"]?["type"]?.stringValue
            found.effort = json["output_config"]?["effort"]?.stringValue
        case .gemini:
            let config = json["generationConfig"]
            if config?["responseJsonSchema"] != nil || config?["responseSchema"] != nil {
                found.mechanism = "gemini_json_schema"
            } else if config?["responseMimeType"] == "application/json" {
                found.mechanism = "gemini_json"
            }
            found.schemaInSystem = Self.text(of: json["systemInstruction"]?["parts"]).contains("JSON Schema")
            found.thinking = config?["thinkingConfig"]?["thinkingBudget"]?.intValue
        }
        return found
    }

    /// The text of a content value: a string, or the `text` of each block of an array, joined.
    private static func text(of content: JSONValue?) -> String {
        switch content {
        case .string(let text)?: text
        case .array(let blocks)?: blocks.compactMap { $0["text"]?.stringValue }.joined(separator: "\n")
        default: ""
        }
    }
}
