import Foundation
import JunctionClient
import JunctionCore
import Testing

extension EndToEnd {
    /// `generate` through the real socket, the real libcurl transport and the simulator.
    @Suite("generate against junction-sim")
    struct GenerateTests {
        static let fullAnswer = "Hello from junction-sim, the provider simulator. All good."

        /// Every provider kind, each in its own wire format, streamed and not.
        @Test(arguments: [
            ("openai", "gpt-4o-mini", "/v1/chat/completions", "bearer"),
            ("anthropic", "claude-3-5-haiku-latest", "/v1/messages", "x-api-key"),
            ("gemini", "gemini-2.0-flash", "/v1beta/models/gemini-2.0-flash:generateContent", "x-goog-api-key"),
            ("deepseek", "deepseek-chat", "/chat/completions", "bearer"),
            ("qwen", "qwen-plus", "/compatible-mode/v1/chat/completions", "bearer"),
            ("ollama", "llama3.2", "/v1/chat/completions", "none"),
            ("local", "my-model", "/v1/chat/completions", "none"),
            ("cursor", "cursor-small", "/v1/chat/completions", "bearer"),
        ])
        func everyProviderKind(provider: String, model: String, path: String, auth: String) throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            for stream in [false, true] {
                var deltas: [String] = []
                let result = try client.call(
                    "generate",
                    params: ["prompt": "Say hello", "model": .string("\(provider):\(model)"), "stream": .bool(stream)]
                ) { method, params in
                    if method == "generate.delta" { deltas.append(params["text"]?.stringValue ?? "") }
                }
                #expect(result["text"] == .string(Self.fullAnswer))
                #expect(result["provider"] == .string(provider))
                #expect(result["finish_reason"] == "stop")
                #expect(result["usage"]?["completion_tokens"] == 12)
                #expect(result["attempts"]?.arrayValue?.count == 1)
                #expect(stream ? deltas.joined() == Self.fullAnswer : deltas.isEmpty)
                if stream { #expect(result["ttft_ms"]?.intValue != nil) }
            }
            let requests = try sim.requests()
            #expect(requests.count == 2)
            #expect(requests.first?["path"] == .string(path))
            #expect(requests.last?["stream"] == true)
            #expect(requests.allSatisfy { $0["auth"] == .string(auth) })
        }

        @Test func aCutStreamRestartsOnTheNextTargetAndIsNeverASuccessAlone() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: "[routes.flaky]\ntargets = [\"openai:sim-cut-3\", \"anthropic:claude\"]\n")
            let client = try daemon.client()
            var events: [(String, JSONValue)] = []
            let result = try client.call("generate", params: ["prompt": "hi", "route": "flaky", "stream": true]) { method, params in
                events.append((method, params))
            }
            let first = events.filter { $0.0 == "generate.delta" && $0.1["attempt"] == 1 }
            #expect(first.map { $0.1["seq"]?.intValue ?? -1 } == [0, 1, 2])
            let restart = try #require(events.firstIndex { $0.0 == "generate.restart" })
            #expect(events[restart].1["attempt"] == 2)
            // Defect 13: the reason is the stable code, not the transport's words.
            #expect(events[restart].1["reason"] == "stream_cut")
            let second = events[restart...].filter { $0.0 == "generate.delta" }
            #expect(second.map { $0.1["text"]?.stringValue ?? "" }.joined() == Self.fullAnswer)
            #expect(second.allSatisfy { $0.1["attempt"] == 2 })
            #expect(result["text"] == .string(Self.fullAnswer))
            #expect(result["provider"] == "anthropic")
            #expect(result["attempts"]?.arrayValue?.map { $0["outcome"]?.stringValue ?? "" } == ["connection_reset", "ok"])
            #expect(try sim.requests().count == 2)

            // Alone, the cut stream is an error that says output was sent.
            do {
                _ = try client.call("generate", params: ["prompt": "hi", "model": "openai:sim-cut-3", "stream": true])
                Issue.record("a truncated stream was reported as a success")
            } catch let reply as RPCClient.ErrorReply {
                #expect(reply.code == -32001)
                #expect(reply.data?["partial_output_sent"] == true)
                #expect(reply.data?["partial_output_chars"] == .int("Hello from junction".count))
            }
        }

        @Test func streamsWithoutSentinelMalformedEventsOrStallsAreHandled() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: "[routes.stall]\ntargets = [\"openai:sim-stall-3\", \"gemini:g\"]\n")
            let client = try daemon.client()
            for model in ["openai:sim-nosentinel", "anthropic:sim-nosentinel", "openai:sim-malformed", "anthropic:sim-malformed", "gemini:sim-malformed"] {
                let result = try client.call("generate", params: ["prompt": "hi", "model": .string(model), "stream": true])
                #expect(result["text"] == .string(Self.fullAnswer), "\(model)")
                #expect(result["usage"]?["completion_tokens"] == 12, "\(model)")
            }
            // A stalled stream: idle timeout (2 s in this configuration), then the next target.
            let started = ContinuousClock.now
            let stalled = try client.call("generate", params: ["prompt": "hi", "route": "stall", "stream": true])
            #expect(stalled["provider"] == "gemini")
            #expect(stalled["attempts"]?.arrayValue?.first?["outcome"] == "idle_timeout")
            #expect(ContinuousClock.now - started < .seconds(6))
        }

        @Test func silentAndSlowProvidersTimeOutDistinctly() throws {
            let sim = try SimProcess()
            // No retries: this checks the transport's distinct failures (retries are the resilience suite's).
            let daemon = try sim.daemon(
                extra: """
                    [defaults.retry]
                    max_retries = 0
                    [routes.hang]
                    targets = ["openai:sim-hang", "anthropic:claude"]
                    [routes.slow]
                    targets = ["openai:sim-slowfirst-5000", "anthropic:claude"]
                    [routes.reset]
                    targets = ["openai:sim-reset", "anthropic:claude"]

                    """
            )
            let client = try daemon.client()
            let hang = try client.call("generate", params: ["prompt": "hi", "route": "hang"])
            #expect(hang["attempts"]?.arrayValue?.first?["outcome"] == "first_byte_timeout")
            #expect(hang["text"] == .string(Self.fullAnswer))
            let slow = try client.call("generate", params: ["prompt": "hi", "route": "slow", "stream": true])
            #expect(slow["attempts"]?.arrayValue?.first?["outcome"] == "ttft_timeout")
            let reset = try client.call("generate", params: ["prompt": "hi", "route": "reset"])
            #expect(reset["attempts"]?.arrayValue?.first?["outcome"] == "connection_reset")
            // The silent and the slow target were contacted exactly once. (A reset on a reused keep-alive
            // connection is retried once inside libcurl, which cannot tell it from a connection that died idle.)
            let models = try sim.requests().compactMap { $0["model"]?.stringValue }
            #expect(models.filter { $0 == "sim-hang" || $0 == "sim-slowfirst-5000" } == ["sim-hang", "sim-slowfirst-5000"])
            #expect((1...2).contains(models.filter { $0 == "sim-reset" }.count))
        }

        @Test func providerErrorsAreClassifiedAndPropagated() throws {
            let sim = try SimProcess()
            // No retries: one attempt each, so the error answered is the provider's own.
            let daemon = try sim.daemon(extra: "[defaults.retry]\nmax_retries = 0\n")
            let client = try daemon.client()
            // Auth and quota failures mark the whole provider (it is skipped afterwards), so each comes last for
            // its provider.
            let cases: [(String, String, Int)] = [
                ("openai:sim-429-2", "rate_limited", 429), ("anthropic:sim-529", "overloaded", 529),
                ("openai:sim-context", "context_length", 400), ("anthropic:sim-context", "context_length", 400),
                ("gemini:sim-context", "context_length", 400), ("openai:sim-filter", "content_filter", 400),
                ("openai:sim-503", "server_error", 503), ("anthropic:sim-401", "auth", 401),
                ("gemini:sim-401", "auth", 400), ("openai:sim-quota", "quota_exhausted", 429),
            ]
            for (model, outcome, status) in cases {
                if model == "openai:sim-quota" {
                    // Before openai cools down: every target rate limited is -32002 with the provider's wait.
                    do {
                        _ = try client.call("generate", params: ["prompt": "hi", "model": "openai:sim-429-2"])
                    } catch let reply as RPCClient.ErrorReply {
                        #expect(reply.code == -32002)
                        #expect(reply.data?["retry_after_ms"] == 2000)
                    }
                }
                do {
                    _ = try client.call("generate", params: ["prompt": "hi", "model": .string(model)])
                    Issue.record("\(model) succeeded")
                } catch let reply as RPCClient.ErrorReply {
                    let attempt = reply.data?["attempts"]?.arrayValue?.first
                    #expect(attempt?["outcome"] == .string(outcome), "\(model)")
                    #expect(attempt?["status"] == .int(status), "\(model)")
                    #expect([-32006, -32002].contains(reply.code), "\(model): \(reply.code)")
                }
            }
            // The quota-exhausted provider is now skipped without being contacted.
            let before = try sim.requests().count
            #expect(throws: RPCClient.ErrorReply.self) { try client.call("generate", params: ["prompt": "hi", "model": "openai:gpt-4o-mini"]) }
            #expect(try sim.requests().count == before)
        }

        @Test func cancelAbortsTheUpstreamTransferPromptly() throws {
            let sim = try SimProcess(tokenDelayMs: 200)
            let daemon = try sim.daemon()
            let client = try daemon.client()
            try client.send(
                line: Array(#"{"jsonrpc":"2.0","method":"generate","params":{"prompt":"hi","model":"openai:gpt-4o-mini","stream":true},"id":"g"}"#.utf8)
            )
            var first = try client.receive()
            while first["method"] != "generate.delta" { first = try client.receive() }
            let started = ContinuousClock.now
            try client.send(line: Array(#"{"jsonrpc":"2.0","method":"cancel","params":{"id":"g"},"id":"c"}"#.utf8))
            var cancelled: JSONValue?
            while cancelled == nil {
                let message = try client.receive()
                if message["id"] == "g" { cancelled = message }
            }
            #expect(cancelled?["error"]?["code"] == -32005)
            #expect(ContinuousClock.now - started < .milliseconds(500))
            // The simulator saw the client go: the stream was torn down, not left to finish.
            var outcome: JSONValue?
            for _ in 0..<50 {
                outcome = try sim.requests().last?["outcome"]
                if outcome == "client_gone" { break }
                usleep(20_000)
            }
            #expect(outcome == "client_gone")
        }

        @Test func invalidParamsNameTheField() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            let cases: [(JSONValue, String)] = [
                ([:], "prompt"),
                (["prompt": 5], "prompt"),
                (["messages": [["role": "robot", "content": "x"]]], "messages.0.role"),
                (["prompt": "x", "temperature": 3], "temperature"),
                (["prompt": "x", "model": "nope:thing"], "model"),
                (["prompt": "x", "route": "missing"], "route"),
                (["prompt": "x", "response_format": "yaml"], "response_format"),
                (["prompt": "x", "max_tokens": 0], "max_tokens"),
                (["prompt": "x", "surprise": true], "surprise"),
            ]
            for (params, field) in cases {
                do {
                    _ = try client.call("generate", params: params)
                    Issue.record("\(params) was accepted")
                } catch let reply as RPCClient.ErrorReply {
                    #expect(reply.code == -32602)
                    #expect(reply.data?["field"] == .string(field), "\(params)")
                }
            }
        }

        @Test func countListAndDescribeWithoutLeakingKeys() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(arguments: ["--log-level", "trace"])
            let client = try daemon.client()
            let exact = try client.call("tokens.count", params: ["text": "count these words please", "model": "anthropic:claude"])
            #expect(exact["exact"] == true)
            let gemini = try client.call("tokens.count", params: ["text": "count", "model": "gemini:gemini-2.0-flash"])
            #expect(gemini["exact"] == true)
            let estimate = try client.call("tokens.count", params: ["text": "12345678"])
            // 8 bytes → 2 tokens, plus 4 for the message.
            #expect(estimate == ["tokens": 6, "exact": false, "method": "estimate (UTF-8 bytes / 4)"])
            let models = try client.call("models.list", params: ["provider": "openai"])
            let ids = models["models"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(ids.contains("gpt-4o-mini") && ids.contains("sim-model"))
            let providers = try client.call("providers.list")
            #expect(providers["providers"]?.arrayValue?.count == 8)
            // Failures and successes alike: no key anywhere.
            var everything = models.compactText + providers.compactText
            for model in ["openai:sim-401", "anthropic:sim-401", "gemini:sim-401", "openai:gpt-4o-mini"] {
                do { everything += try client.call("generate", params: ["prompt": "x", "model": .string(model)]).compactText } catch {
                    everything += "\(error)"
                }
            }
            try daemon.stop()
            for key in SimProcess.keys.values {
                #expect(!everything.contains(key))
                #expect(!daemon.log.contains(key))
            }
        }
    }
}
