import Foundation
import JunctionClient
import JunctionCore
import Testing

extension EndToEnd {
    @Suite("Anthropic-compatible HTTP API against the real daemon and junction-sim")
    struct AnthropicAPIEndToEndTests {
        static func message(_ model: String, stream: Bool = false, extra: String = "") -> String {
            "{\"model\":\"\(model)\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
                + "\"text\":\"hi\"}]}],\"system\":\"be brief\",\"stream\":\(stream)\(extra)}"
        }

        /// The SSE events of a stream as (name, data) pairs.
        static func events(_ text: String) throws -> [(name: String, data: JSONValue)] {
            try text.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { event in
                let lines = event.split(separator: "\n").map(String.init)
                guard lines.count == 2, lines[0].hasPrefix("event: "), lines[1].hasPrefix("data: ") else {
                    throw RawHTTPConnection.Failure(description: "not an Anthropic SSE event: \(event)")
                }
                return (String(lines[0].dropFirst(7)), try JSONValue.parse(String(lines[1].dropFirst(6))))
            }
        }

        @Test func aMessageAnswersInAnthropicsShapeWithJunctionsHeaders() throws {
            let sim = try SimProcess()
            let (daemon, path) = try OpenAIAPIEndToEndTests.start(sim)
            let response = try RawHTTPConnection(unixPath: path).post(
                "/v1/messages", json: Self.message("anthropic:claude-3-5-haiku-latest", extra: ",\"top_k\":5"),
                headers: ["anthropic-version: 2023-06-01"]
            )
            #expect(response.status == 200)
            let body = try JSONValue.parse(response.text)
            #expect(body["type"] == "message")
            #expect(body["role"] == "assistant")
            #expect(body["id"]?.stringValue == "msg_" + (response.header("x-junction-request-id") ?? "?"))
            #expect(body["content"]?[0]?["type"] == "text")
            #expect(body["content"]?[0]?["text"]?.stringValue?.contains("junction-sim") == true)
            #expect(body["stop_reason"] == "end_turn")
            #expect((body["usage"]?["input_tokens"]?.intValue ?? 0) > 0)
            #expect(body["usage"]?["output_tokens"]?.intValue == 12)
            #expect(body["usage"]?["cache_read_input_tokens"]?.intValue == 0)
            #expect(response.header("x-junction-provider") == "anthropic")
            #expect(response.header("x-junction-attempts") == "1")
            // The upstream got the system prompt and the max_tokens in Anthropic's own request.
            let seen = try sim.requests()
            #expect(seen.count == 1)
            #expect(seen.first?["path"]?.stringValue?.hasSuffix("/v1/messages") == true)
            #expect(try daemon.stop() == 0)
        }

        @Test func aStreamHasAnthropicsNamedEventsWithUsageInMessageDelta() throws {
            let sim = try SimProcess()
            let (daemon, path) = try OpenAIAPIEndToEndTests.start(sim)
            // An OpenAI target behind the Anthropic front: the format is the front's, not the provider's.
            let response = try RawHTTPConnection(unixPath: path).post(
                "/v1/messages", json: Self.message("openai/gpt-4o-mini", stream: true)
            )
            #expect(response.status == 200)
            #expect(response.header("content-type") == "text/event-stream")
            #expect(response.header("x-junction-provider") == "openai")
            let events = try Self.events(response.text)
            let names = events.map(\.name)
            #expect(names.first == "message_start")
            #expect(names.dropFirst().first == "ping")
            #expect(Array(names.suffix(3)) == ["content_block_stop", "message_delta", "message_stop"])
            #expect(names.filter { $0 == "content_block_start" }.count == 1)
            #expect(events.allSatisfy { $0.data["type"]?.stringValue == $0.name })
            let text = events.filter { $0.name == "content_block_delta" }
                .compactMap { $0.data["delta"]?["text"]?.stringValue }.joined()
            #expect(text == "Hello from junction-sim, the provider simulator. All good.")
            let start = events.first?.data["message"]
            #expect(start?["id"]?.stringValue == "msg_" + (response.header("x-junction-request-id") ?? "?"))
            #expect(start?["content"] == [])
            let delta = events.first { $0.name == "message_delta" }?.data
            #expect(delta?["delta"]?["stop_reason"] == "end_turn")
            #expect(delta?["usage"]?["output_tokens"]?.intValue == 12)
            #expect((delta?["usage"]?["input_tokens"]?.intValue ?? 0) > 0)
            #expect(try daemon.stop() == 0)
        }

        /// Today's Anthropic request shape: adaptive thinking with `output_config` carrying both the effort and the
        /// structured output's format. Both reach the provider (the format as the schema in the system prompt: a
        /// thinking model is never forced to a tool), and the answer is the JSON the schema asks for.
        @Test func adaptiveThinkingAndOutputConfigReachTheProvider() throws {
            let sim = try SimProcess()
            let (daemon, path) = try OpenAIAPIEndToEndTests.start(sim)
            let answer = #"{"city":"Paris"}"#
            try sim.setAnswers(model: "claude-3-5-haiku-latest", answers: [answer])
            let format = #"{"type":"json_schema","schema":{"type":"object","properties":{"city":{"type":"string"}},"#
                + #""required":["city"],"additionalProperties":false}}"#
            let extra = #","thinking":{"type":"adaptive"},"output_config":{"effort":"medium","format":"# + format + "}"
            let response = try RawHTTPConnection(unixPath: path).post(
                "/v1/messages", json: Self.message("anthropic:claude-3-5-haiku-latest", extra: extra)
            )
            #expect(response.status == 200, "\(response.text)")
            let body = try JSONValue.parse(response.text)
            #expect(body["content"]?[0]?["text"]?.stringValue == answer)
            let seen = try sim.requests()
            #expect(seen.count == 1)
            #expect(seen.first?["thinking_type"] == "adaptive")
            #expect(seen.first?["effort"] == "medium")
            #expect(seen.first?["schema_in_system"] == true)
            // An effort Anthropic does not know is a 400 naming the field.
            let refused = try RawHTTPConnection(unixPath: path).post(
                "/v1/messages",
                json: Self.message(
                    "anthropic:claude-3-5-haiku-latest", extra: #","thinking":{"type":"adaptive"},"output_config":{"effort":"lots"}"#
                )
            )
            #expect(refused.status == 400)
            #expect(refused.text.contains("output_config.effort"))
            #expect(try sim.requests().count == 1)
            #expect(try daemon.stop() == 0)
        }

        /// An answer a stop sequence ended says so, whole and streamed: `stop_reason: "stop_sequence"` and which
        /// sequence, as the Anthropic provider reported it.
        @Test func aStopSequenceThatEndedTheAnswerIsNamed() throws {
            let sim = try SimProcess()
            let (daemon, path) = try OpenAIAPIEndToEndTests.start(sim)
            let extra = #","stop_sequences":["never","simulator"]"#
            let whole = try RawHTTPConnection(unixPath: path).post(
                "/v1/messages", json: Self.message("anthropic:claude-3-5-haiku-latest", extra: extra)
            )
            #expect(whole.status == 200, "\(whole.text)")
            let body = try JSONValue.parse(whole.text)
            #expect(body["content"]?[0]?["text"] == "Hello from junction-sim, the provider ")
            #expect(body["stop_reason"] == "stop_sequence")
            #expect(body["stop_sequence"] == "simulator")
            let streamed = try RawHTTPConnection(unixPath: path).post(
                "/v1/messages", json: Self.message("anthropic:claude-3-5-haiku-latest", stream: true, extra: extra)
            )
            let delta = try Self.events(streamed.text).first { $0.name == "message_delta" }?.data
            #expect(delta?["delta"]?["stop_reason"] == "stop_sequence")
            #expect(delta?["delta"]?["stop_sequence"] == "simulator")
            // Without a sequence in the answer, the turn simply ended.
            let plain = try JSONValue.parse(
                try RawHTTPConnection(unixPath: path).post(
                    "/v1/messages",
                    json: Self.message("anthropic:claude-3-5-haiku-latest", extra: #","stop_sequences":["never"]"#)
                ).text
            )
            #expect(plain["stop_reason"] == "end_turn")
            #expect(plain["stop_sequence"] == .null)
            #expect(try daemon.stop() == 0)
        }

        @Test func countTokensUsesTheProvidersCountEndpoint() throws {
            let sim = try SimProcess()
            let (daemon, path) = try OpenAIAPIEndToEndTests.start(sim)
            let body =
                "{\"model\":\"anthropic:claude-3-5-haiku-latest\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"how many tokens is this?\"}]}"
            let response = try RawHTTPConnection(unixPath: path).post("/v1/messages/count_tokens", json: body)
            #expect(response.status == 200)
            #expect(response.header("x-junction-token-count") == "exact")
            let counted = try JSONValue.parse(response.text)
            #expect((counted["input_tokens"]?.intValue ?? 0) > 0)
            #expect(try sim.requests().contains { $0["path"]?.stringValue?.hasSuffix("/count_tokens") == true })
            // A provider without a count endpoint: the estimate, said so.
            let estimated = try RawHTTPConnection(unixPath: path).post(
                "/v1/messages/count_tokens", json: body.replacingOccurrences(of: "anthropic:claude-3-5-haiku-latest",
                    with: "openai:gpt-4o-mini")
            )
            #expect(estimated.status == 200)
            #expect(estimated.header("x-junction-token-count") == "estimate")
            let unknown = try RawHTTPConnection(unixPath: path).post(
                "/v1/messages/count_tokens", json: body.replacingOccurrences(of: "anthropic:claude-3-5-haiku-latest",
                    with: "nowhere")
            )
            #expect(unknown.status == 404)
            #expect(try JSONValue.parse(unknown.text)["error"]?["type"] == "not_found_error")
            #expect(try daemon.stop() == 0)
        }

        @Test func failuresUseAnthropicsErrorEnvelopeAndStatus() throws {
            let sim = try SimProcess()
            let (daemon, path) = try OpenAIAPIEndToEndTests.start(sim)
            // The down provider's retries and backoff take seconds on a busy machine: a read deadline to match.
            let connection = try RawHTTPConnection(unixPath: path, timeout: 60)
            let unknown = try connection.post("/v1/messages", json: Self.message("no-such-model"))
            #expect(unknown.status == 404)
            let envelope = try JSONValue.parse(unknown.text)
            #expect(envelope["type"] == "error")
            #expect(envelope["error"]?["type"] == "not_found_error")
            let noMax = try connection.post(
                "/v1/messages", json: "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
            )
            #expect(noMax.status == 400)
            #expect(try JSONValue.parse(noMax.text)["error"]?["message"]?.stringValue?.contains("max_tokens") == true)
            let tools = try connection.post(
                "/v1/messages", json: Self.message("gpt-4o-mini", extra: ",\"tools\":[{\"name\":\"f\"}]")
            )
            #expect(tools.status == 400)
            #expect(try JSONValue.parse(tools.text)["error"]?["type"] == "invalid_request_error")
            let image = try connection.post(
                "/v1/messages",
                json: "{\"model\":\"gpt-4o-mini\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":"
                    + "[{\"type\":\"image\",\"source\":{}}]}]}"
            )
            #expect(image.status == 400)
            #expect(try JSONValue.parse(image.text)["error"]?["message"]?.stringValue?.contains("messages.0.content.0") == true)
            // The upstream's own client error keeps its status and the provider's words.
            let tooLong = try connection.post("/v1/messages", json: Self.message("anthropic:sim-context"))
            #expect(tooLong.status == 400)
            let tooLongError = try JSONValue.parse(tooLong.text)["error"]
            #expect(tooLongError?["message"]?.stringValue?.hasPrefix("anthropic:") == true)
            #expect(tooLongError?["type"] == "invalid_request_error")
            let down = try connection.post("/v1/messages", json: Self.message("anthropic:sim-529"))
            #expect(down.status == 503)
            #expect(down.header("retry-after") != nil)
            #expect(try JSONValue.parse(down.text)["error"]?["type"] == "overloaded_error")
            #expect(try daemon.stop() == 0)
        }

        @Test func aFailoverBeforeTheFirstContentIsInvisible() throws {
            let sim = try SimProcess()
            let (daemon, path) = try OpenAIAPIEndToEndTests.start(
                sim, extra: "[routes.backup]\ntargets = [\"openai:sim-503\", \"anthropic:claude-3-5-haiku-latest\"]\n"
            )
            let response = try RawHTTPConnection(unixPath: path).post(
                "/v1/messages", json: Self.message("route:backup", stream: true)
            )
            #expect(response.status == 200)
            #expect(response.header("x-junction-provider") == "anthropic")
            let events = try Self.events(response.text)
            #expect(events.map(\.name).filter { $0 == "message_start" }.count == 1)
            #expect(events.last?.name == "message_stop")
            #expect(!events.contains { $0.name == "error" })
            let text = events.filter { $0.name == "content_block_delta" }
                .compactMap { $0.data["delta"]?["text"]?.stringValue }.joined()
            #expect(text == "Hello from junction-sim, the provider simulator. All good.")
            // The first target failed (retried or not) before the second answered everything the client saw.
            let models = try sim.requests().compactMap { $0["model"]?.stringValue }
            #expect(models.last == "claude-3-5-haiku-latest")
            #expect(models.count >= 2 && models.dropLast().allSatisfy { $0 == "sim-503" })
            #expect(try daemon.stop() == 0)
        }

        @Test func aStreamCutAfterContentEndsWithAnErrorEventAndNoMessageStop() throws {
            let sim = try SimProcess()
            let (daemon, path) = try OpenAIAPIEndToEndTests.start(sim)
            let response = try RawHTTPConnection(unixPath: path).post(
                "/v1/messages", json: Self.message("route:flaky", stream: true)
            )
            #expect(response.status == 200)
            let events = try Self.events(response.text)
            #expect(events.contains { $0.name == "content_block_delta" })
            #expect(!events.contains { $0.name == "message_stop" })
            #expect(events.last?.name == "error")
            #expect(events.last?.data["error"]?["type"] == "api_error")
            #expect(try daemon.stop() == 0)
        }
    }
}
