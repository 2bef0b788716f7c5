import Foundation
import JunctionClient
import JunctionCore
import Testing

extension RawHTTPConnection {
    /// A POST of a JSON body on this connection, and its response.
    func post(_ path: String, json body: String, headers: [String] = []) throws -> RawHTTPResponse {
        let head =
            [
                "POST \(path) HTTP/1.1", "Host: localhost", "Content-Type: application/json",
                "Content-Length: \(body.utf8.count)",
            ] + headers
        try self.send(head.joined(separator: "\r\n") + "\r\n\r\n" + body)
        guard let response = try self.readResponse() else {
            throw Failure(description: "the server closed the connection without answering POST \(path)")
        }
        return response
    }
}

extension EndToEnd {
    @Suite("OpenAI-compatible HTTP API against the real daemon and junction-sim")
    struct OpenAIAPIEndToEndTests {
        /// The daemon with its HTTP listener on a Unix socket (callers identified by SO_PEERCRED, no token).
        static func start(_ sim: SimProcess, extra: String = "") throws -> (DaemonProcess, String) {
            // Beside the daemon's own files: the socket goes when the daemon stops.
            let path = "/tmp/junction-api-\(UUID().uuidString.prefix(8)).sock"
            let daemon = try sim.daemon(
                extra: extra + "\n[routes.flaky]\ntargets = [\"openai:sim-cut-4\", \"anthropic:claude-3-5-haiku-latest\"]\n"
                    + "\n[http]\nlisten_unix = \"\(path)\"\n"
            )
            try daemon.waitForLog("http listening address=unix:\(path)")
            return (daemon, path)
        }

        static func chat(_ model: String, stream: Bool = false, extra: String = "") -> String {
            "{\"model\":\"\(model)\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":\(stream)\(extra)}"
        }

        @Test func aChatCompletionAnswersInOpenAIsShapeWithJunctionsHeaders() throws {
            let sim = try SimProcess()
            let (daemon, path) = try Self.start(sim)
            let response = try RawHTTPConnection(unixPath: path).post(
                "/v1/chat/completions", json: Self.chat("openai/gpt-4o-mini", extra: ",\"user\":\"app-1\",\"logprobs\":false")
            )
            #expect(response.status == 200)
            let body = try JSONValue.parse(response.text)
            #expect(body["object"] == "chat.completion")
            #expect(body["id"]?.stringValue == "chatcmpl-" + (response.header("x-junction-request-id") ?? "?"))
            #expect(body["choices"]?[0]?["message"]?["role"] == "assistant")
            #expect(body["choices"]?[0]?["message"]?["content"]?.stringValue?.contains("junction-sim") == true)
            #expect(body["choices"]?[0]?["finish_reason"] == "stop")
            #expect(body["usage"]?["total_tokens"]?.intValue == 20)
            #expect(response.header("x-junction-provider") == "openai")
            #expect(response.header("x-junction-model") == "gpt-4o-mini")
            #expect(response.header("x-junction-attempts") == "1")
            #expect(response.header("x-junction-cache") == "miss")
            #expect(response.header("x-junction-cost-usd")?.hasPrefix("0.0000") == true)
            // The simulator received the request in OpenAI's own format, for the model named `provider/model`.
            let seen = try sim.requests()
            #expect(seen.count == 1)
            #expect(seen.first?["path"]?.stringValue?.hasSuffix("/chat/completions") == true)
            #expect(try daemon.stop() == 0)
        }

        @Test func aStreamIsOpenAIsSSEWithTheUsageChunkAndDone() throws {
            let sim = try SimProcess()
            let (daemon, path) = try Self.start(sim)
            let response = try RawHTTPConnection(unixPath: path).post(
                "/v1/chat/completions",
                json: Self.chat("gpt-4o-mini", stream: true, extra: ",\"stream_options\":{\"include_usage\":true,\"x\":1}")
            )
            #expect(response.status == 200)
            #expect(response.header("content-type") == "text/event-stream")
            #expect(response.header("x-junction-provider") == "openai")
            let events = response.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(events.allSatisfy { $0.hasPrefix("data: ") })
            #expect(events.last == "data: [DONE]")
            let chunks = try events.dropLast().map { try JSONValue.parse(String($0.dropFirst(6))) }
            #expect(chunks.first?["choices"]?[0]?["delta"]?["role"] == "assistant")
            let text = chunks.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined()
            #expect(text == "Hello from junction-sim, the provider simulator. All good.")
            #expect(chunks.dropLast().last?["choices"]?[0]?["finish_reason"] == "stop")
            #expect(chunks.last?["choices"] == [])
            #expect(chunks.last?["usage"]?["completion_tokens"]?.intValue == 12)
            #expect(chunks.dropLast().allSatisfy { $0["usage"] == .null })
            #expect(try daemon.stop() == 0)
        }

        @Test func failuresUseOpenAIsErrorEnvelopeAndStatus() throws {
            let sim = try SimProcess()
            let (daemon, path) = try Self.start(sim)
            // The down provider's retries and backoff take seconds on a busy machine: a read deadline to match.
            let connection = try RawHTTPConnection(unixPath: path, timeout: 60)
            let unknown = try connection.post("/v1/chat/completions", json: Self.chat("no-such-model"))
            #expect(unknown.status == 404)
            let error = try JSONValue.parse(unknown.text)["error"]
            #expect(error?["type"] == "invalid_request_error")
            #expect(error?["code"] == "model_not_found")
            #expect(error?["param"] == "model")
            let two = try connection.post("/v1/chat/completions", json: Self.chat("gpt-4o-mini", extra: ",\"n\":2"))
            #expect(two.status == 400)
            #expect(try JSONValue.parse(two.text)["error"]?["param"] == "n")
            let badTemperature = try connection.post(
                "/v1/chat/completions", json: Self.chat("gpt-4o-mini", extra: ",\"temperature\":7")
            )
            #expect(badTemperature.status == 400)
            #expect(try JSONValue.parse(badTemperature.text)["error"]?["param"] == "temperature")
            let notJSON = try connection.post("/v1/chat/completions", json: "{nope")
            #expect(notJSON.status == 400)
            // The only target is down: 503 with Retry-After, nothing that looks like an answer.
            let down = try connection.post("/v1/chat/completions", json: Self.chat("openai:sim-503"))
            #expect(down.status == 503)
            #expect(down.header("retry-after") != nil)
            #expect(try JSONValue.parse(down.text)["error"]?["message"] != nil)
            #expect(try daemon.stop() == 0)
        }

        @Test func aStreamCutAfterContentEndsWithAnErrorEventAndNoDone() throws {
            let sim = try SimProcess()
            let (daemon, path) = try Self.start(sim)
            let response = try RawHTTPConnection(unixPath: path).post(
                "/v1/chat/completions", json: Self.chat("route:flaky", stream: true)
            )
            #expect(response.status == 200)
            let events = response.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(!events.contains("data: [DONE]"))
            let last = try JSONValue.parse(String(events.last?.dropFirst(6) ?? ""))
            #expect(last["error"]?["code"] == "stream_interrupted")
            #expect(try daemon.stop() == 0)
        }

        @Test func modelsListsConfiguredModelsAndRoutes() throws {
            let sim = try SimProcess()
            let (daemon, path) = try Self.start(sim)
            let response = try RawHTTPConnection(unixPath: path).request("GET", "/v1/models")
            #expect(response.status == 200)
            let list = try JSONValue.parse(response.text)
            #expect(list["object"] == "list")
            let ids = list["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(ids.contains("openai:gpt-4o-mini"))
            #expect(ids.contains("flaky"))
            #expect(try daemon.stop() == 0)
        }

        @Test func theTCPAPIWithoutATokenIsRefusedNamingTheConfigKey() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: "\n[http]\nlisten = [\"127.0.0.1:0\"]\n")
            let port = try daemon.httpPort()
            let response = try RawHTTPConnection(port: port).post("/v1/chat/completions", json: Self.chat("gpt-4o-mini"))
            #expect(response.status == 401)
            #expect(try JSONValue.parse(response.text)["error"]?["message"]?.stringValue?.contains("[http.tokens.") == true)
            #expect(try sim.requests().isEmpty)
            #expect(try daemon.stop() == 0)
        }
    }
}

extension JSONValue {
    /// An array's element, nil out of range or for anything but an array.
    subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }
}
