import JunctionCore
import Testing

@testable import JunctionProviders

/// Each provider kind's native structured-output request, and the forced tool's answer read back as text.
@Suite("Adapters: structured output")
struct StructuredOutputFixtureTests {
    private let endpoint = ProviderEndpoint(name: "p", kind: .openai, baseURL: "https://x.example/v1", apiKey: "k")
    private let ok = HTTPResponseHead(status: 200, headers: [:])
    /// `b` is optional: strict mode needs the nullable recipe for it.
    private let schema: JSONValue = [
        "type": "object",
        "properties": ["a": ["type": "string"], "b": ["type": "integer", "minimum": 0]],
        "required": ["a"],
    ]
    private let closedSchema =
        #"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer","minimum":0}},"#
        + #""required":["a"],"additionalProperties":false}"#
    private let jsonObjectInstruction = "Answer with one JSON object and nothing else."
    private var schemaInstruction: String {
        "Answer with one JSON object that follows this JSON Schema, and nothing else: \(self.schema.compactText)"
    }

    private func request(_ format: ResponseFormat, seed: Int? = nil, thinking: Int? = nil, stream: Bool = false)
        -> ChatRequest
    {
        ChatRequest(
            messages: [ChatMessage(role: .user, content: "Hi")], system: "Sys", maxTokens: 100, temperature: 0.2,
            responseFormat: format, seed: seed, thinkingBudget: thinking, stream: stream
        )
    }

    private func schemaFormat(strict: Bool? = nil) -> ResponseFormat {
        .jsonSchema(JSONSchemaFormat(name: "answer", schema: self.schema, strict: strict))
    }

    private func anthropic(_ request: ChatRequest, model: String) -> HTTPRequest {
        AnthropicAdapter().chatRequest(request, model: model, endpoint: self.endpoint)
    }

    private func body(_ http: HTTPRequest) throws -> JSONValue {
        try JSONValue.parse(http.body ?? [])
    }

    private func decode(_ decoder: some StreamDecoding, _ text: String, chunk: Int = 9) -> [StreamEvent] {
        var decoder = decoder
        let bytes = Array(text.utf8)
        var events: [StreamEvent] = []
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            events += decoder.feed(Array(bytes[start..<min(start + chunk, bytes.count)]))
        }
        return events
    }

    private func text(_ events: [StreamEvent]) -> String {
        events.compactMap { if case .delta(let text) = $0 { text } else { nil } }.joined()
    }

    // MARK: OpenAI

    @Test func openAIJSONSchemaIsClosedAndNotStrictWithOptionalProperties() throws {
        let http = OpenAICompatibleAdapter(preset: .openai).chatRequest(
            self.request(self.schemaFormat(), seed: 7), model: "gpt-4o-mini", endpoint: self.endpoint)
        let expected =
            #"{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Sys"},{"role":"user","content":"Hi"}],"#
            + #""max_completion_tokens":100,"temperature":0.2,"response_format":{"type":"json_schema","json_schema":"#
            + #"{"name":"answer","schema":\#(self.closedSchema),"strict":false}},"seed":7}"#
        #expect(try self.body(http).compactText == expected)
    }

    @Test func openAIStrictTrueSendsTheNullableRecipe() throws {
        let http = OpenAICompatibleAdapter(preset: .openai).chatRequest(
            self.request(self.schemaFormat(strict: true)), model: "gpt-4o-mini", endpoint: self.endpoint)
        let format = try #require(try self.body(http)["response_format"])
        let expected =
            #"{"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object","properties":"#
            + #"{"a":{"type":"string"},"b":{"type":["integer","null"],"minimum":0}},"required":["a","b"],"#
            + #""additionalProperties":false},"strict":true}}"#
        #expect(format.compactText == expected)
    }

    @Test func openAIJSONObjectPutsTheWordJSONInTheSystemPrompt() throws {
        let http = OpenAICompatibleAdapter(preset: .openai).chatRequest(
            self.request(.jsonObject), model: "gpt-4o-mini", endpoint: self.endpoint)
        let body = try self.body(http)
        #expect(body["response_format"] == ["type": "json_object"])
        #expect(body["messages"]?.arrayValue?.first?["content"] == .string("Sys\n\n" + self.jsonObjectInstruction))
    }

    /// DeepSeek, DashScope, Ollama, generic and cursor: JSON mode with the schema in the system prompt; `seed`
    /// everywhere but DeepSeek, whose API does not take it.
    @Test(arguments: [
        (OpenAICompatibleAdapter.Preset.deepseek, false), (.qwen, true), (.ollama, true), (.generic, true),
        (.cursor, true),
    ])
    func compatibleServersGetJSONModeAndTheSchemaInTheSystemPrompt(preset: OpenAICompatibleAdapter.Preset, seed: Bool)
        throws
    {
        let http = OpenAICompatibleAdapter(preset: preset).chatRequest(
            self.request(self.schemaFormat(strict: true), seed: 42), model: "m", endpoint: self.endpoint)
        let expected =
            #"{"model":"m","messages":[{"role":"system","content":"Sys\n\n\#(self.schemaInstruction.escapedForJSON)"},"#
            + #"{"role":"user","content":"Hi"}],"max_tokens":100,"temperature":0.2,"#
            + #""response_format":{"type":"json_object"}\#(seed ? #","seed":42"# : "")}"#
        #expect(try self.body(http).compactText == expected)
    }

    /// JSON mode forces an object and OpenAI's json_schema takes object roots only: an array is asked for in the
    /// system prompt alone, on every OpenAI-compatible preset.
    @Test(arguments: [OpenAICompatibleAdapter.Preset.openai, .deepseek, .ollama])
    func nonObjectRootsGoInTheSystemPromptAlone(preset: OpenAICompatibleAdapter.Preset) throws {
        let list: JSONValue = ["type": "array", "items": ["type": "string"]]
        let format = ResponseFormat.jsonSchema(JSONSchemaFormat(name: "list", schema: list))
        let adapter = OpenAICompatibleAdapter(preset: preset)
        let body = try self.body(adapter.chatRequest(self.request(format), model: "m", endpoint: self.endpoint))
        #expect(body["response_format"] == nil)
        let instruction = "Answer with one JSON value that follows this JSON Schema, and nothing else: "
        let system = body["messages"]?.arrayValue?.first?["content"]
        #expect(system == .string("Sys\n\n" + instruction + list.compactText))
    }

    // MARK: Anthropic

    @Test func anthropicModelRule() {
        let rows: [(String, AnthropicStructuredOutputSupport)] = [
            ("claude-sonnet-4-5", .outputConfig), ("claude-sonnet-4-5-20250929", .outputConfig),
            ("claude-opus-4-5-20251101", .outputConfig), ("claude-haiku-4-5", .outputConfig),
            ("claude-opus-4-6", .outputConfig), ("claude-sonnet-4-6", .outputConfig),
            ("claude-opus-4-7", .outputConfig),
            ("claude-sonnet-5", .outputConfig), ("anthropic.claude-sonnet-4-5-20250929-v1:0", .outputConfig),
            ("claude-haiku-4-5@20251001", .outputConfig), ("Claude-Sonnet-4-5", .outputConfig),
            ("claude-opus-4-1-20250805", .betaOutputFormat), ("claude-opus-4-1", .betaOutputFormat),
            ("claude-opus-4-20250514", .none), ("claude-sonnet-4-20250514", .none), ("claude-sonnet-4-0", .none),
            ("claude-3-7-sonnet-latest", .none), ("claude-3-5-haiku-20241022", .none),
            ("claude-3-opus-20240229", .none),
            ("claude", .none), ("sim-503", .none), ("", .none),
        ]
        for (model, support) in rows {
            #expect(AnthropicAdapter.structuredOutputSupport(model: model) == support, "\(model)")
        }
    }

    @Test func anthropicNativeOutputConfigOnModelsThatHaveIt() throws {
        let http = self.anthropic(self.request(self.schemaFormat()), model: "claude-sonnet-4-5")
        let expected =
            #"{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"Hi"}],"#
            + #""system":"Sys","temperature":0.2,"output_config":{"format":{"type":"json_schema","schema":"#
            + #"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"required":["a"],"#
            + #""additionalProperties":false}}}}"#
        #expect(try self.body(http).compactText == expected)
        #expect(!http.headers.contains { $0.name == "anthropic-beta" })
    }

    @Test func anthropicBetaOutputFormatOnOpus41() throws {
        let http = self.anthropic(self.request(self.schemaFormat()), model: "claude-opus-4-1")
        let body = try self.body(http)
        #expect(body["output_format"]?["type"] == "json_schema")
        #expect(body["output_config"] == nil)
        #expect(http.headers.contains { $0.name == "anthropic-beta" && $0.value == "structured-outputs-2025-11-13" })
    }

    @Test func anthropicForcedToolOnOlderModelsAndSchemasTheFormatCannotSay() throws {
        let http = self.anthropic(self.request(self.schemaFormat()), model: "claude-3-5-haiku-latest")
        let expected =
            #"{"model":"claude-3-5-haiku-latest","max_tokens":100,"messages":[{"role":"user","content":"Hi"}],"#
            + #""system":"Sys","temperature":0.2,"tools":[{"name":"answer","description":"Give your answer as this "#
            + #"tool's input: one JSON object that follows its input schema.","#
            + #""input_schema":\#(self.schema.compactText)}],"#
            + #""tool_choice":{"type":"tool","name":"answer"}}"#
        #expect(try self.body(http).compactText == expected)
        // A map cannot be closed for the native format: the tool takes it even on a model with native support.
        let map: JSONValue = ["type": "object", "additionalProperties": ["type": "number"]]
        let mapped = self.anthropic(
            self.request(.jsonSchema(JSONSchemaFormat(name: "m", schema: map))), model: "claude-sonnet-4-5")
        #expect(try self.body(mapped)["tool_choice"] == ["type": "tool", "name": "m"])
    }

    @Test func anthropicThinkingNeverForcesTheTool() throws {
        let http = self.anthropic(self.request(self.schemaFormat(), thinking: 2000), model: "claude-3-7-sonnet-latest")
        let expected =
            #"{"model":"claude-3-7-sonnet-latest","max_tokens":2100,"messages":[{"role":"user","content":"Hi"}],"#
            + #""system":"Sys\n\n\#(self.schemaInstruction.escapedForJSON)","#
            + #""thinking":{"type":"enabled","budget_tokens":2000}}"#
        #expect(try self.body(http).compactText == expected)
        // The native format works with thinking; a budget under Anthropic's minimum is raised to it.
        let thinking = self.request(self.schemaFormat(), thinking: 10)
        let native = try self.body(self.anthropic(thinking, model: "claude-sonnet-4-5"))
        #expect(native["thinking"] == ["type": "enabled", "budget_tokens": 1024])
        #expect(native["max_tokens"] == 1124)
        #expect(native["output_config"] != nil)
        #expect(native["temperature"] == nil)
    }

    /// Adaptive thinking: `thinking: {type: "adaptive"}`, the effort beside the native format in `output_config`,
    /// no temperature, no budget added to `max_tokens`; Gemini gets its dynamic budget.
    @Test func adaptiveThinkingOnAnthropicAndGemini() throws {
        var request = self.request(self.schemaFormat())
        request.adaptiveThinking = AdaptiveThinking(effort: "high")
        let native = try self.body(self.anthropic(request, model: "claude-sonnet-4-5"))
        #expect(native["thinking"] == ["type": "adaptive"])
        #expect(native["max_tokens"] == 100)
        #expect(native["temperature"] == nil)
        #expect(native["output_config"]?["effort"] == "high")
        #expect(native["output_config"]?["format"]?["type"] == "json_schema")
        // Without the native format, the effort alone; never a forced tool.
        request.responseFormat = .jsonObject
        request.adaptiveThinking = AdaptiveThinking()
        let plain = try self.body(self.anthropic(request, model: "claude-3-7-sonnet-latest"))
        #expect(plain["output_config"] == nil)
        #expect(plain["tool_choice"] == nil)
        request.responseFormat = self.schemaFormat()
        let forced = try self.body(self.anthropic(request, model: "claude-3-5-haiku-latest"))
        #expect(forced["tool_choice"] == nil, "a thinking model is never forced to a tool")
        let gemini = GeminiAdapter().chatRequest(request, model: "gemini-2.5-flash", endpoint: self.endpoint)
        #expect(try self.body(gemini)["generationConfig"]?["thinkingConfig"] == ["thinkingBudget": -1])
    }

    @Test func anthropicJSONObjectIsAnInstruction() throws {
        let body = try self.body(self.anthropic(self.request(.jsonObject), model: "claude-sonnet-4-5"))
        #expect(body["system"] == .string("Sys\n\n" + self.jsonObjectInstruction))
        #expect(body["output_config"] == nil)
        #expect(body["tools"] == nil)
    }

    @Test func anthropicForcedToolAnswerIsTextFinishedNormally() throws {
        let answer =
            #"{"id":"msg_1","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022","content":"#
            + #"[{"type":"tool_use","id":"toolu_1","name":"answer","input":{"a": "x", "b": 2}}],"#
            + #""stop_reason":"tool_use","usage":{"input_tokens":10,"output_tokens":5}}"#
        let completion = try AnthropicAdapter().parseCompletion(self.ok, body: Array(answer.utf8), now: 0).get()
        #expect(completion.text == #"{"a":"x","b":2}"#)
        #expect(completion.finishReason == .stop)
        #expect(completion.usage == Usage(promptTokens: 10, completionTokens: 5))
    }

    @Test func anthropicForcedToolStreamIsDeltasFinishedNormally() {
        let stream = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":10}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","name":"a","input":{}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"partial_json":"{\\"a\\":"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":" \\"x"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"\\"}"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":6}}

            event: message_stop
            data: {"type":"message_stop"}


            """
        for chunk in [1, 9, 10_000] {
            let events = self.decode(AnthropicStreamDecoder(), stream, chunk: chunk)
            #expect(self.text(events) == #"{"a": "x"}"#)
            #expect(events.contains(.finish(.stop)))
            #expect(!events.contains(.finish(.toolCalls)))
            #expect(events.last == .end)
        }
        let empty = """
            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","name":"a","input":{}}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}


            """
        #expect(self.text(self.decode(AnthropicStreamDecoder(), empty)) == "{}")
    }

    // MARK: Gemini

    @Test func geminiResponseJSONSchemaThinkingAndSeed() throws {
        let endpoint = ProviderEndpoint(name: "g", kind: .gemini, baseURL: "https://g.example.com/v1beta", apiKey: "k")
        var schema = self.schema
        if case .object(var object) = schema {
            object["properties"] = ["a": ["const": "x"], "b": ["type": "integer", "exclusiveMinimum": 0]]
            schema = .object(object)
        }
        let format = ResponseFormat.jsonSchema(JSONSchemaFormat(name: "answer", schema: schema))
        let http = GeminiAdapter().chatRequest(
            self.request(format, seed: 3, thinking: 512), model: "gemini-2.5-flash", endpoint: endpoint)
        let expected =
            #"{"contents":[{"role":"user","parts":[{"text":"Hi"}]}],"systemInstruction":{"parts":[{"text":"Sys"}]},"#
            + #""generationConfig":{"maxOutputTokens":100,"temperature":0.2,"thinkingConfig":{"thinkingBudget":512},"#
            + #""seed":3,"responseMimeType":"application/json","responseJsonSchema":{"type":"object","properties":"#
            + #"{"a":{"enum":["x"]},"b":{"type":"integer"}},"required":["a"]}}}"#
        #expect(try self.body(http).compactText == expected)
    }

    @Test func geminiJSONObjectIsTheMimeTypeAndAnInstruction() throws {
        let endpoint = ProviderEndpoint(name: "g", kind: .gemini, baseURL: "https://g.example.com/v1beta", apiKey: "k")
        let body = try self.body(
            GeminiAdapter().chatRequest(self.request(.jsonObject), model: "gemini-2.5-flash", endpoint: endpoint))
        #expect(body["generationConfig"]?["responseMimeType"] == "application/json")
        #expect(body["generationConfig"]?["responseJsonSchema"] == nil)
        let system = body["systemInstruction"]?["parts"]?.arrayValue?.first?["text"]
        #expect(system == .string("Sys\n\n" + self.jsonObjectInstruction))
    }
}

extension String {
    /// The text as it appears inside a JSON string literal (quotes and backslashes escaped).
    fileprivate var escapedForJSON: String {
        let quoted = JSONValue.string(self).compactText
        return String(quoted.dropFirst().dropLast())
    }
}
