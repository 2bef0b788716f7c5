import Foundation
import JunctionClient
import JunctionCore
import Testing

extension EndToEnd {
    /// The guarantee: every answer of a `response_format` request validates against the caller's schema, or the
    /// request fails with -32011 — through the real daemon against junction-sim answering valid, invalid and non-JSON
    /// text in each provider's dialect.
    @Suite("structured output guaranteed")
    struct StructuredOutputTests {
        static let schema: JSONValue = [
            "type": "object",
            "properties": [
                "city": ["type": "string", "minLength": 1],
                "population": ["type": "integer", "minimum": 0],
                "nickname": ["type": "string"],
            ],
            "required": ["city", "population"],
            "additionalProperties": false,
        ]
        static let valid = #"{"city":"Paris","population":2100000}"#
        static let invalid = #"{"city":"Paris","population":"lots"}"#
        static let prose = "Paris has about two million people."

        static func params(_ model: String, stream: Bool = false) -> JSONValue {
            [
                "prompt": "Which city?", "model": .string(model), "stream": .bool(stream),
                "response_format": ["type": "json_schema", "json_schema": ["name": "city", "schema": Self.schema]],
            ]
        }

        private func calls(_ sim: SimProcess, model: String) throws -> Int {
            try sim.requests().filter { $0["model"]?.stringValue == model }.count
        }

        /// Per dialect: an invalid answer, then a valid one after the repair, on the same target.
        @Test(arguments: [
            ("openai", "gpt-4o-mini"), ("anthropic", "claude-sonnet-4-5"), ("anthropic", "claude-3-5-haiku-latest"),
            ("gemini", "gemini-2.5-flash"), ("deepseek", "deepseek-chat"), ("qwen", "qwen-plus"),
            ("ollama", "llama3.2"), ("local", "my-model"),
        ])
        func anInvalidAnswerIsRepairedOnTheSameTarget(provider: String, model: String) throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            try sim.setAnswers(model: model, answers: [Self.invalid, Self.valid])
            let result = try client.call("generate", params: Self.params("\(provider):\(model)"))
            #expect(result["json"] == ["city": "Paris", "population": 2_100_000])
            #expect(result["text"] == .string(Self.valid))
            let attempts = result["attempts"]?.arrayValue ?? []
            #expect(attempts.count == 2)
            #expect(attempts.first?["reason"] == "invalid_structured_output")
            #expect(attempts.first?["error"]?.stringValue?.contains("/population") == true)
            #expect(attempts.allSatisfy { $0["provider"] == .string(provider) })
            #expect(try self.calls(sim, model: model) == 2)
            // A valid first answer needs no repair.
            try sim.setAnswers(model: model, answers: [Self.valid])
            let direct = try client.call("generate", params: Self.params("\(provider):\(model)"))
            #expect(direct["attempts"]?.arrayValue?.count == 1)
            #expect(direct["json"]?["city"] == "Paris")
        }

        @Test func afterAFailedRepairTheNextTargetAnswers() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: "[routes.r]\ntargets = [\"local:so-bad\", \"gemini:so-good\"]\n")
            let client = try daemon.client()
            try sim.setAnswers(model: "so-bad", answers: [Self.prose, Self.invalid])
            try sim.setAnswers(model: "so-good", answers: [Self.valid])
            var params = Self.params("x").objectValue!
            params["model"] = nil
            params["route"] = "r"
            let result = try client.call("generate", params: .object(params))
            #expect(result["provider"] == "gemini")
            #expect(result["json"]?["population"] == 2_100_000)
            #expect(result["attempts"]?.arrayValue?.map { $0["reason"] ?? .null } == [
                "invalid_structured_output", "invalid_structured_output", .null,
            ])
            #expect(try self.calls(sim, model: "so-bad") == 2)
            #expect(try self.calls(sim, model: "so-good") == 1)
        }

        @Test func noValidAnswerAnywhereIsMinus32011WithTheViolations() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            try sim.setAnswers(model: "so-never", answers: [Self.invalid])
            do {
                _ = try client.call("generate", params: Self.params("local:so-never"))
                Issue.record("an invalid answer was returned")
            } catch let error as RPCClient.ErrorReply {
                #expect(error.code == -32011)
                #expect(error.message.contains("Structured output invalid"))
                let violations = error.data?["violations"]?.arrayValue?.compactMap(\.stringValue) ?? []
                #expect(violations.contains { $0.hasPrefix("/population") && $0.contains("integer") })
                #expect(error.data?["attempts"]?.arrayValue?.count == 2)
                #expect(error.data?["request_id"]?.stringValue?.isEmpty == false)
            }
            // json_object: anything but an object is rejected too.
            try sim.setAnswers(model: "so-array", answers: ["[1, 2]"])
            do {
                _ = try client.call(
                    "generate", params: ["prompt": "hi", "model": "local:so-array", "response_format": "json_object"]
                )
                Issue.record("an array was accepted as a JSON object")
            } catch let error as RPCClient.ErrorReply {
                #expect(error.code == -32011)
                #expect(error.data?["violations"] == ["expected a JSON object, got array"])
            }
        }

        /// Streamed: the invalid answer's deltas went out, so the caller is told to discard them before the repair.
        @Test func aStreamedInvalidAnswerIsRetractedBeforeTheRepair() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            try sim.setAnswers(model: "so-stream", answers: [Self.invalid, Self.valid])
            var events: [(String, JSONValue)] = []
            let result = try client.call("generate", params: Self.params("local:so-stream", stream: true)) {
                events.append(($0, $1))
            }
            let restart = events.firstIndex { $0.0 == "generate.restart" }
            #expect(restart != nil)
            #expect(events[restart!].1["attempt"] == 2)
            #expect(events[restart!].1["reason"] == "invalid_structured_output")
            let before = events[..<restart!].compactMap { $0.0 == "generate.delta" ? $0.1["text"]?.stringValue : nil }
            let after = events[restart!...].compactMap { $0.0 == "generate.delta" ? $0.1["text"]?.stringValue : nil }
            #expect(before.joined() == Self.invalid)
            #expect(after.joined() == Self.valid)
            #expect(result["json"]?["city"] == "Paris")
        }

        @Test func aBadSchemaIsRefusedBeforeAnythingIsSent() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            let params: JSONValue = [
                "prompt": "hi", "model": "local:so-x",
                "response_format": ["type": "json_schema", "json_schema": ["name": "x", "schema": ["minimum": "zero"]]],
            ]
            do {
                _ = try client.call("generate", params: params)
                Issue.record("a bad schema was accepted")
            } catch let error as RPCClient.ErrorReply {
                #expect(error.code == -32602)
                #expect(error.data?["field"] == "response_format.json_schema.schema")
                #expect(error.message.contains("minimum"))
            }
            #expect(try sim.requests().isEmpty)
        }

        /// Validated answers are cacheable; the hit carries the parsed JSON too.
        @Test func aValidatedAnswerIsCachedWithItsJSON() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            try sim.setAnswers(model: "so-cache", answers: [Self.invalid, Self.valid])
            var params = Self.params("local:so-cache").objectValue!
            params["temperature"] = 0
            let paid = try client.call("generate", params: .object(params))
            #expect(paid["cached"] == false)
            let hit = try client.call("generate", params: .object(params))
            #expect(hit["cached"] == true)
            #expect(hit["json"] == paid["json"])
            #expect(try self.calls(sim, model: "so-cache") == 2)
        }
    }
}
