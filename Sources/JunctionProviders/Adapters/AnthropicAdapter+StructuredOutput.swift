import JunctionCore

/// How an Anthropic model can be asked natively for JSON that follows a schema.
public enum AnthropicStructuredOutputSupport: Sendable, Equatable {
    /// `output_config: {format: {type: "json_schema", schema}}`, generally available, no beta header.
    case outputConfig
    /// The beta `output_format` with `anthropic-beta: structured-outputs-2025-11-13`.
    case betaOutputFormat
    /// No native JSON output: a forced tool, or the instruction in the system prompt.
    case none
}

/// What an Anthropic request carries for its response format.
struct AnthropicStructuredOutput {
    /// Appended to the system prompt.
    var instruction: String?
    /// `output_config` or `output_format`, with its value.
    var outputFormat: (field: String, value: JSONValue)?
    var betaHeader: String?
    /// The forced tool: `tools` and `tool_choice`.
    var tools: JSONValue?
    var toolChoice: JSONValue?
}

extension AnthropicAdapter {
    /// The `anthropic-beta` header value of the structured-outputs beta (`output_format`).
    public static let structuredOutputsBeta = "structured-outputs-2025-11-13"
    /// Anthropic's smallest `thinking.budget_tokens`; a smaller budget is raised to it rather than refused.
    public static let minimumThinkingBudget = 1024

    /// Which native structured output `model` has. Structured outputs came to Claude Sonnet 4.5 and Opus 4.1 as a
    /// beta (`output_format` plus the `structured-outputs-2025-11-13` header), then became generally available
    /// as `output_config.format` on Claude Sonnet 4.5, Opus 4.5, Haiku 4.5 and every later model (4.6, 4.7, 5,
    /// ...); Opus 4.1 is only in the beta. Claude 3.x, Sonnet 4 and Opus 4 have none.
    ///
    /// Reads the id as Anthropic, Bedrock (`anthropic.claude-opus-4-1-20250805-v1:0`) and Vertex
    /// (`claude-opus-4-1@20250805`) write it: `claude-FAMILY-MAJOR[-MINOR][-DATE]`, or the older
    /// `claude-MAJOR[-MINOR]-FAMILY[-DATE]`. An id it cannot read has no native support (the forced tool works
    /// on every model).
    public static func structuredOutputSupport(model: String) -> AnthropicStructuredOutputSupport {
        let id = model.lowercased()
        guard let start = id.firstRange(of: "claude-")?.upperBound else { return .none }
        let tokens = id[start...].split(whereSeparator: { $0 == "-" || $0 == "@" }).map(String.init)
        func number(_ index: Int) -> Int? {
            guard index < tokens.count, (1...2).contains(tokens[index].count) else { return nil }
            return Int(tokens[index])
        }
        let family: String?
        let major: Int
        let minor: Int
        if let old = number(0) {
            (family, major, minor) = (tokens.count > 2 ? tokens[2] : nil, old, number(1) ?? 0)
        } else if let new = number(1) {
            (family, major, minor) = (tokens[0], new, number(2) ?? 0)
        } else {
            return .none
        }
        if (major, minor) >= (4, 5) { return .outputConfig }
        if family == "opus", major == 4, minor == 1 { return .betaOutputFormat }
        return .none
    }

    /// The response format's share of the request.
    ///
    /// - A schema on a model with native support, when the schema fits it (`SchemaRewrite.anthropicOutputFormat`):
    ///   the native JSON output format; the answer is a text block holding the JSON.
    /// - Otherwise a forced tool named after the schema, whose `input_schema` is the schema, so that the answer is
    ///   the tool's input (see `parseCompletion`). Never with extended thinking on: Anthropic refuses a forced
    ///   `tool_choice` with thinking, so then the schema goes in the system prompt instead, as it does when the
    ///   schema's root is not an object (a tool's input always is).
    /// - JSON mode: the instruction in the system prompt. The native format cannot say "any object" (it requires
    ///   `additionalProperties: false` on every object, which would allow only `{}`).
    static func structuredOutput(_ request: ChatRequest, model: String) -> AnthropicStructuredOutput {
        var plan = AnthropicStructuredOutput()
        guard case .jsonSchema(let format) = request.responseFormat else {
            plan.instruction = request.responseFormat.systemInstruction
            return plan
        }
        let support = Self.structuredOutputSupport(model: model)
        if support != .none, let native = SchemaRewrite.anthropicOutputFormat(format.schema) {
            let value: JSONValue = ["type": "json_schema", "schema": native]
            if support == .outputConfig {
                plan.outputFormat = ("output_config", ["format": value])
            } else {
                plan.outputFormat = ("output_format", value)
                plan.betaHeader = Self.structuredOutputsBeta
            }
            return plan
        }
        guard !request.thinks, format.describesObject, let input = Self.toolInputSchema(format.schema)
        else {
            plan.instruction = request.responseFormat.systemInstruction
            return plan
        }
        plan.tools = [
            [
                "name": .string(format.name),
                "description": "Give your answer as this tool's input: one JSON object that follows its input schema.",
                "input_schema": input,
            ]
        ]
        plan.toolChoice = ["type": "tool", "name": .string(format.name)]
        return plan
    }

    /// The schema as a tool's `input_schema`, which must be an object schema: `type: "object"`, or `properties`
    /// without a `type` (then `type: "object"` is added, narrowing). Nil for any other root.
    private static func toolInputSchema(_ schema: JSONValue) -> JSONValue? {
        guard case .object(var object) = schema else { return nil }
        if object["type"] == nil, object["properties"] != nil { object["type"] = "object" }
        return object["type"] == "object" ? .object(object) : nil
    }
}
