import Foundation
import JunctionClient
import JunctionCore
import Testing

extension EndToEnd {
    /// `generate` with a `response_format` through the real daemon and transport: each provider kind receives its
    /// own structured-output request (read from the simulator's log), and the answer comes back as `text`.
    @Suite("structured output on the wire")
    struct StructuredOutputWireTests {
        /// Every property required: strict on OpenAI, closable for Anthropic's native format.
        static let schema: JSONValue = [
            "type": "object",
            "properties": ["city": ["type": "string"], "population": ["type": "integer"]],
            "required": ["city", "population"],
        ]
        static let answer = #"{"city":"Paris","population":2100000}"#

        static func responseFormat(_ schema: JSONValue = Self.schema) -> JSONValue {
            ["type": "json_schema", "json_schema": ["name": "city", "schema": schema]]
        }

        /// One generate call, unary or streamed: the result and the streamed text.
        static func generate(_ client: RPCClient, _ params: JSONObject, stream: Bool) throws -> (JSONValue, String) {
            var params = params
            params["stream"] = .bool(stream)
            var deltas: [String] = []
            let result = try client.call("generate", params: .object(params)) { method, event in
                if method == "generate.delta" { deltas.append(event["text"]?.stringValue ?? "") }
            }
            return (result, deltas.joined())
        }

        @Test(arguments: [
            ("openai", "gpt-4o-mini", "openai_json_schema_strict", false),
            ("anthropic", "claude-sonnet-4-5", "anthropic_output_format", false),
            ("anthropic", "claude-3-5-haiku-latest", "anthropic_tool", false),
            ("gemini", "gemini-2.5-flash", "gemini_json_schema", false),
            ("deepseek", "deepseek-chat", "json_object", true),
            ("qwen", "qwen-plus", "json_object", true),
            ("ollama", "llama3.2", "json_object", true),
            ("local", "my-model", "json_object", true),
            ("cursor", "cursor-small", "json_object", true),
        ])
        func eachProviderKindReceivesItsNativeRequest(
            provider: String, model: String, mechanism: String, schemaInSystem: Bool
        ) throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            try sim.setAnswers(model: model, answers: [Self.answer])
            let params: JSONObject = [
                "prompt": "Which city?", "model": .string("\(provider):\(model)"),
                "response_format": Self.responseFormat(),
            ]
            for stream in [false, true] {
                let (result, streamed) = try Self.generate(client, params, stream: stream)
                #expect(result["text"] == .string(Self.answer), "\(provider) stream=\(stream)")
                #expect(result["finish_reason"] == "stop", "\(provider) stream=\(stream)")
                if stream { #expect(streamed == Self.answer, "\(provider)") }
            }
            let requests = try sim.requests()
            #expect(requests.count == 2)
            for request in requests {
                #expect(request["structured"] == .string(mechanism), "\(provider) \(model)")
                #expect(request["schema_in_system"] == .bool(schemaInSystem), "\(provider) \(model)")
                #expect(request["thinking"] == .null)
            }
        }

        /// A model that ignores the forced tool and writes prose: the simulator answers with a text block, and the
        /// gateway's validation rejects it.
        @Test func aForcedToolAnsweredInProseComesBackAsThatProse() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            try sim.setAnswers(model: "claude-3-5-haiku-latest", answers: ["Paris, I think."])
            let params: JSONObject = [
                "prompt": "Which city?", "model": "anthropic:claude-3-5-haiku-latest",
                "response_format": Self.responseFormat(),
            ]
            // Prose is not the JSON asked for: one repair on the same target, then -32011 with what was wrong.
            for stream in [false, true] {
                do {
                    _ = try Self.generate(client, params, stream: stream)
                    Issue.record("prose was accepted as structured output")
                } catch let error as RPCClient.ErrorReply {
                    #expect(error.code == -32011)
                    #expect(error.data?["violations"]?.arrayValue?.first?.stringValue?.contains("not JSON") == true)
                    #expect(error.data?["attempts"]?.arrayValue?.count == 2)
                }
            }
            #expect(try sim.requests().count == 4)
            #expect(try sim.requests().allSatisfy { $0["structured"] == "anthropic_tool" })
        }

        @Test func setAnswersAreTakenInTurnTheLastRepeatingUntilCleared() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            try sim.setAnswers(model: "gpt-4o-mini", answers: ["one", "two words"])
            let params: JSONObject = ["prompt": "hi", "model": "openai:gpt-4o-mini"]
            var texts: [String] = []
            for stream in [false, true, false] {
                texts.append(try Self.generate(client, params, stream: stream).0["text"]?.stringValue ?? "")
            }
            #expect(texts == ["one", "two words", "two words"])
            try sim.setAnswers(model: "gpt-4o-mini", answers: nil)
            let own = try Self.generate(client, params, stream: false).0
            #expect(own["text"] == .string(GenerateTests.fullAnswer))
            #expect(try sim.requests().allSatisfy { $0["structured"] == "none" && $0["schema_in_system"] == false })
        }

        /// Extended thinking on Anthropic: the budget is sent and the tool is never forced (Anthropic refuses
        /// that), so the schema goes in the system prompt. Gemini takes the budget in `thinkingConfig`.
        @Test func thinkingBudgetsAreSentAndNeverWithAForcedTool() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            for model in ["claude-3-5-haiku-latest", "gemini-2.5-flash"] {
                try sim.setAnswers(model: model, answers: [Self.answer])
            }
            for (provider, model) in [("anthropic", "claude-3-5-haiku-latest"), ("gemini", "gemini-2.5-flash")] {
                let params: JSONObject = [
                    "prompt": "Which city?", "model": .string("\(provider):\(model)"),
                    "response_format": Self.responseFormat(), "thinking": ["budget_tokens": 2048],
                ]
                let (result, _) = try Self.generate(client, params, stream: false)
                #expect(result["text"] == .string(Self.answer), "\(provider)")
            }
            let requests = try sim.requests()
            #expect(requests.count == 2)
            #expect(requests.first?["structured"] == "none")
            #expect(requests.first?["schema_in_system"] == true)
            #expect(requests.first?["thinking"] == 2048)
            #expect(requests.last?["structured"] == "gemini_json_schema")
            #expect(requests.last?["thinking"] == 2048)
        }

        /// Adaptive thinking: Anthropic gets `thinking: {type: "adaptive"}` and `output_config.effort` (never a
        /// forced tool, so the schema goes in the system prompt), Gemini its dynamic budget (-1); a budget with
        /// adaptive thinking, or an effort Anthropic does not know, is refused with the field named.
        @Test func adaptiveThinkingIsSentAsEachProviderTakesIt() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            for model in ["claude-3-5-haiku-latest", "gemini-2.5-flash"] {
                try sim.setAnswers(model: model, answers: [Self.answer])
            }
            for (provider, model) in [("anthropic", "claude-3-5-haiku-latest"), ("gemini", "gemini-2.5-flash")] {
                let params: JSONObject = [
                    "prompt": "Which city?", "model": .string("\(provider):\(model)"), "max_tokens": 300,
                    "temperature": 0.5, "response_format": Self.responseFormat(),
                    "thinking": ["type": "adaptive", "effort": "low"],
                ]
                let (result, _) = try Self.generate(client, params, stream: false)
                #expect(result["text"] == .string(Self.answer), "\(provider)")
            }
            let requests = try sim.requests()
            #expect(requests.count == 2)
            #expect(requests.first?["thinking_type"] == "adaptive")
            #expect(requests.first?["effort"] == "low")
            #expect(requests.first?["thinking"] == .null, "no budget: the model decides")
            #expect(requests.first?["structured"] == "none")
            #expect(requests.first?["schema_in_system"] == true)
            #expect(requests.last?["structured"] == "gemini_json_schema")
            #expect(requests.last?["thinking"] == -1)
            for (thinking, field) in [
                (["type": "adaptive", "budget_tokens": 2048] as JSONValue, "thinking.budget_tokens"),
                (["type": "adaptive", "effort": "huge"], "thinking.effort"),
                (["type": "sometimes"], "thinking.type"),
            ] {
                do {
                    _ = try client.call(
                        "generate", params: ["prompt": "hi", "model": "anthropic:claude-3-5-haiku-latest", "thinking": thinking]
                    )
                    Issue.record("\(thinking) was accepted")
                } catch let reply as RPCClient.ErrorReply {
                    #expect(reply.code == -32602)
                    #expect(reply.data?["field"]?.stringValue == field, "\(reply)")
                }
            }
            #expect(try sim.requests().count == 2)
        }

        /// JSON mode: OpenAI gets `json_object` (with the word JSON in the system prompt), Gemini the JSON MIME type.
        @Test func jsonObjectIsEachProvidersJSONMode() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            for (provider, model) in [("openai", "gpt-4o-mini"), ("gemini", "gemini-2.5-flash")] {
                try sim.setAnswers(model: model, answers: [#"{"ok":true}"#])
                let params: JSONObject = [
                    "prompt": "hi", "model": .string("\(provider):\(model)"), "response_format": "json_object",
                ]
                #expect(try Self.generate(client, params, stream: true).0["text"] == #"{"ok":true}"#)
            }
            #expect(try sim.requests().map { $0["structured"] } == ["json_object", "gemini_json"])
        }
    }
}
