import Foundation
import JunctionClient
import JunctionCore
import Testing

extension EndToEnd {
    /// The failure policy end to end: each scenario asserts on what the simulator saw (attempt counts and the
    /// gaps between attempts), then checks that a healthy request still succeeds.
    @Suite("Resilience against junction-sim")
    struct ResilienceEndToEndTests {
        /// Fast backoff so that scenarios take seconds; the schedule's shape is unit-tested with a fake clock.
        static let fastRetries = """
            [defaults.retry]
            initial_delay = "100ms"
            max_delay = "400ms"
            max_retries = 3

            """

        /// The simulator, the daemon and a client; held together so that neither process goes away early.
        struct Fixture {
            let sim: SimProcess
            let daemon: DaemonProcess
            let client: RPCClient
        }

        private func setup(_ extra: String = "") throws -> Fixture {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: extra)
            return Fixture(sim: sim, daemon: daemon, client: try daemon.client(timeout: 60))
        }

        private func attempts(_ sim: SimProcess, model: String) throws -> [JSONValue] {
            try sim.requests().filter { $0["model"] == .string(model) }
        }

        private func stillHealthy(_ client: RPCClient) throws {
            #expect(try client.call("generate", params: ["prompt": "hi", "model": "openai:gpt-4o-mini"])["text"] != nil)
        }

        @Test func retryAfterIsHonoured() throws {
            let fixture = try self.setup()
            let (sim, client) = (fixture.sim, fixture.client)
            defer { withExtendedLifetime(fixture) {} }
            let result = try client.call("generate", params: ["prompt": "hi", "model": "openai:sim-429-2@1"])
            #expect(result["provider"] == "openai")
            let seen = try self.attempts(sim, model: "sim-429-2@1")
            #expect(seen.count == 2)
            let gap = (seen[1]["t_ms"]?.intValue ?? 0) - (seen[0]["t_ms"]?.intValue ?? 0)
            #expect(gap >= 1800, "second attempt only \(gap) ms after the 429")
            #expect(result["attempts"]?.arrayValue?.last?["wait_ms"]?.intValue ?? 0 >= 1800)
            try self.stillHealthy(client)
        }

        @Test func persistent429WithoutHintsIsBoundedThenFailsOver() throws {
            let fixture = try self.setup(Self.fastRetries + "[routes.r]\ntargets = [\"openai:sim-429-nohint\", \"anthropic:claude\"]\n")
            let (sim, client) = (fixture.sim, fixture.client)
            defer { withExtendedLifetime(fixture) {} }
            let result = try client.call("generate", params: ["prompt": "hi", "route": "r"])
            #expect(result["provider"] == "anthropic")
            let seen = try self.attempts(sim, model: "sim-429-nohint")
            #expect(seen.count == 4)  // the first try and max_retries = 3
            let times = seen.compactMap { $0["t_ms"]?.intValue }
            for (earlier, later) in zip(times, times.dropFirst()) { #expect(later - earlier >= 75, "tight loop: \(times)") }
            try self.stillHealthy(client)
        }

        @Test func aServerErrorOnceIsRetriedOnTheSameTarget() throws {
            let fixture = try self.setup(Self.fastRetries)
            let (sim, client) = (fixture.sim, fixture.client)
            defer { withExtendedLifetime(fixture) {} }
            let result = try client.call("generate", params: ["prompt": "hi", "model": "openai:sim-500@1"])
            #expect(result["provider"] == "openai")
            #expect(result["attempts"]?.arrayValue?.map { $0["outcome"]?.stringValue ?? "" } == ["server_error", "ok"])
            #expect(try self.attempts(sim, model: "sim-500@1").count == 2)
        }

        @Test func aResetBeforeHeadersIsRetriedAndAnswered() throws {
            let fixture = try self.setup(Self.fastRetries)
            defer { withExtendedLifetime(fixture) {} }
            let result = try fixture.client.call("generate", params: ["prompt": "hi", "model": "openai:sim-reset@1"])
            #expect(result["provider"] == "openai")
            #expect(result["text"] == .string(GenerateTests.fullAnswer))
            #expect(try self.attempts(fixture.sim, model: "sim-reset@1").count == 2)
        }

        @Test func theResultNamesTheFallbackAndBillsOnlyItsAnswer() throws {
            let fixture = try self.setup(Self.fastRetries + "[routes.r]\ntargets = [\"openai:sim-401\", \"gemini:gemini-2.0-flash\"]\n")
            defer { withExtendedLifetime(fixture) {} }
            let result = try fixture.client.call("generate", params: ["prompt": "hi", "route": "r", "max_tokens": 5])
            #expect(result["provider"] == "gemini")
            #expect(result["model"] == "gemini-2.0-flash")
            #expect(result["usage"]?["completion_tokens"] == 5)  // the fallback's answer only
            #expect(result["attempts"]?.arrayValue?.map { $0["outcome"]?.stringValue ?? "" } == ["auth", "ok"])
        }

        @Test func persistent503IsBoundedByTheBreakerAndAnsweredByTheFallback() throws {
            let fixture = try self.setup(Self.fastRetries + "[routes.r]\ntargets = [\"openai:sim-503\", \"anthropic:claude\"]\n")
            let (sim, client) = (fixture.sim, fixture.client)
            defer { withExtendedLifetime(fixture) {} }
            for _ in 0..<3 {
                let result = try client.call("generate", params: ["prompt": "hi", "route": "r"])
                #expect(result["provider"] == "anthropic")
            }
            // Three consecutive failures open the breaker: later requests skip the target without contacting it.
            #expect(try self.attempts(sim, model: "sim-503").count == 3)
            let health = try client.call("providers.health", params: ["provider": "openai"])
            let target = health["providers"]?.arrayValue?.first?["targets"]?.arrayValue?.first { $0["model"] == "sim-503" }
            #expect(target?["breaker"]?["state"] == "open")
            #expect(target?["status"] == "UNHEALTHY")
            try self.stillHealthy(client)
        }

        @Test func aSilentTargetGetsExactlyOneAttempt() throws {
            let fixture = try self.setup(
                Self.fastRetries + "[routes.r]\ntargets = [\"openai:sim-hang\", \"anthropic:claude\"]\n"
                    + "[routes.slow]\ntargets = [\"openai:sim-slowfirst-8000\", \"anthropic:claude\"]\n"
            )
            let (sim, client) = (fixture.sim, fixture.client)
            defer { withExtendedLifetime(fixture) {} }
            let started = ContinuousClock.now
            let result = try client.call("generate", params: ["prompt": "hi", "route": "r", "timeout_ms": 15000])
            #expect(result["provider"] == "anthropic")
            #expect(ContinuousClock.now - started < .seconds(5))  // first_byte_timeout is 2 s here
            #expect(try self.attempts(sim, model: "sim-hang").count == 1)
            // A slow first token (TTFT 2 s here): one attempt, then the fallback, streamed.
            let slow = try client.call("generate", params: ["prompt": "hi", "route": "slow", "stream": true])
            #expect(slow["provider"] == "anthropic")
            #expect(slow["attempts"]?.arrayValue?.first?["outcome"] == "ttft_timeout")
            #expect(try self.attempts(sim, model: "sim-slowfirst-8000").count == 1)
            try self.stillHealthy(client)
        }

        @Test func contextLengthGoesOnlyToALargerWindow() throws {
            let fixture = try self.setup(
                """
                [[providers.anthropic.models]]
                id = "sim-context"
                context_window = 8000
                [[providers.gemini.models]]
                id = "gemini-small"
                context_window = 4000
                [[providers.gemini.models]]
                id = "gemini-large"
                context_window = 1000000
                [routes.r]
                targets = ["anthropic:sim-context", "gemini:gemini-small", "gemini:gemini-large"]

                """
            )
            let (sim, client) = (fixture.sim, fixture.client)
            defer { withExtendedLifetime(fixture) {} }
            let result = try client.call("generate", params: ["prompt": "hi", "route": "r"])
            #expect(result["model"] == "gemini-large")
            #expect(try self.attempts(sim, model: "sim-context").count == 1)
            #expect(try self.attempts(sim, model: "gemini-small").isEmpty)
            // Without a larger target: a clean error with the provider's reason.
            do {
                _ = try client.call("generate", params: ["prompt": "hi", "model": "openai:sim-context"])
                Issue.record("context length error answered")
            } catch let reply as RPCClient.ErrorReply {
                #expect(reply.code == -32006)
                #expect(reply.message.contains("maximum context length"))
            }
        }

        @Test func aContentFilterRefusalIsNotRetriedNorFailedOver() throws {
            let fixture = try self.setup("[routes.r]\ntargets = [\"anthropic:sim-filter\", \"openai:gpt-4o-mini\"]\n")
            let (sim, client) = (fixture.sim, fixture.client)
            defer { withExtendedLifetime(fixture) {} }
            do {
                _ = try client.call("generate", params: ["prompt": "hi", "route": "r"])
                Issue.record("a refusal was answered by another provider")
            } catch let reply as RPCClient.ErrorReply {
                #expect(reply.code == -32006)
                #expect(reply.data?["message"]?.stringValue?.contains("content filtering policy") == true)
            }
            #expect(try self.attempts(sim, model: "sim-filter").count == 1)
            #expect(try self.attempts(sim, model: "gpt-4o-mini").isEmpty)
        }

        @Test func authAndQuotaFailuresMarkTheProviderAndFailOver() throws {
            let fixture = try self.setup(
                "[routes.auth]\ntargets = [\"anthropic:sim-401\", \"openai:gpt-4o-mini\"]\n[routes.quota]\ntargets = [\"gemini:sim-quota\", \"openai:gpt-4o-mini\"]\n"
            )
            let (sim, client) = (fixture.sim, fixture.client)
            defer { withExtendedLifetime(fixture) {} }
            for route in ["auth", "quota"] {
                #expect(try client.call("generate", params: ["prompt": "hi", "route": .string(route)])["provider"] == "openai")
                #expect(try client.call("generate", params: ["prompt": "hi", "route": .string(route)])["provider"] == "openai")
            }
            // Each marked provider was contacted once; the second request skipped it.
            #expect(try self.attempts(sim, model: "sim-401").count == 1)
            #expect(try self.attempts(sim, model: "sim-quota").count == 1)
            let health = try client.call("providers.health")
            let statuses = Dictionary(
                uniqueKeysWithValues: (health["providers"]?.arrayValue ?? []).map { ($0["provider"]?.stringValue ?? "", $0["reason"]?.stringValue ?? "") }
            )
            #expect(statuses["anthropic"] == "authentication failed")
            #expect(statuses["gemini"] == "quota exhausted")
        }

        /// The issue's flapping primary (503 for 60 s, a request every 4 s), scaled down by three: 503 for 20 s,
        /// a request every 1.5 s. Every request is answered, the primary sees a handful of requests during the
        /// outage, and is used again within 15 s of recovering.
        @Test func aFlappingPrimary() throws {
            let fixture = try self.setup(Self.fastRetries + "[routes.r]\ntargets = [\"openai:sim-outage-20000\", \"anthropic:claude\"]\n")
            let (sim, client) = (fixture.sim, fixture.client)
            defer { withExtendedLifetime(fixture) {} }
            var answeredBy: [(Int64, String)] = []
            let started = ContinuousClock.now
            while ContinuousClock.now - started < .seconds(38) {
                let result = try client.call("generate", params: ["prompt": "hi", "route": "r"])
                answeredBy.append(((ContinuousClock.now - started).milliseconds, result["provider"]?.stringValue ?? "?"))
                Thread.sleep(forTimeInterval: 1.5)
            }
            #expect(answeredBy.allSatisfy { $0.1 == "openai" || $0.1 == "anthropic" })
            let duringOutage = try self.attempts(sim, model: "sim-outage-20000").filter { ($0["outcome"]?.stringValue ?? "") == "503" }
            #expect(duringOutage.count <= 10, "the primary was hit \(duringOutage.count) times during the outage")
            let backOnPrimary = answeredBy.first { $0.0 > 20_000 && $0.1 == "openai" }
            #expect(backOnPrimary != nil)
            if let back = backOnPrimary { #expect(back.0 < 20_000 + 15_000, "primary used again only at \(back.0) ms") }
        }

        @Test func floodsAndEndlessHeadersLeaveTheDaemonStandingWithBoundedMemory() throws {
            // The flooding provider has a 2 MiB body limit, so the test does not depend on how fast the client reads.
            let fixture = try self.setup(
                "[providers.floody]\nkind = \"openai-compatible\"\nbase_url = \"\(SimProcess.placeholder)/v1\"\nmax_response_bytes = 2097152\n"
                    + "[routes.flood]\ntargets = [\"floody:sim-flood\", \"anthropic:claude\"]\n"
                    + "[routes.headers]\ntargets = [\"openai:sim-headersforever\", \"anthropic:claude\"]\n"
            )
            defer { withExtendedLifetime(fixture) {} }
            let client = fixture.client
            let headers = try client.call("generate", params: ["prompt": "hi", "route": "headers"])
            #expect(headers["provider"] == "anthropic")
            #expect(headers["attempts"]?.arrayValue?.first?["outcome"] == "first_byte_timeout")
            // A stream that never ends: the deltas flow to the caller until the body limit (32 MiB) stops it.
            var deltaBytes = 0
            let flood = try client.call("generate", params: ["prompt": "hi", "route": "flood", "stream": true]) { method, params in
                if method == "generate.delta" { deltaBytes += params["text"]?.stringValue?.utf8.count ?? 0 }
            }
            #expect(flood["provider"] == "anthropic")
            #expect(flood["attempts"]?.arrayValue?.first?["outcome"] == "body_too_large")
            #expect(deltaBytes > 1 << 20)
            // A request whose deadline passes answers -32007.
            do {
                _ = try client.call("generate", params: ["prompt": "hi", "model": "openai:sim-hang", "timeout_ms": 1000])
                Issue.record("a hung provider answered")
            } catch let reply as RPCClient.ErrorReply {
                #expect(reply.code == -32007)
            }
            let status = try String(contentsOfFile: "/proc/\(fixture.daemon.pid)/status", encoding: .utf8)
            let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
                .flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Int($0) } } ?? 0
            #expect(rss < 200_000, "junctiond holds \(rss) KiB after the flood")
            try self.stillHealthy(client)
        }

        @Test func eventsAnnounceBreakerTransitions() throws {
            let fixture = try self.setup(Self.fastRetries + "[routes.r]\ntargets = [\"openai:sim-503\", \"anthropic:claude\"]\n")
            let (daemon, client) = (fixture.daemon, fixture.client)
            defer { withExtendedLifetime(fixture) {} }
            let watcher = try daemon.client(timeout: 10)
            #expect(try watcher.call("events.subscribe", params: ["topics": ["breaker.state"]])["topics"] == ["breaker.state"])
            _ = try client.call("generate", params: ["prompt": "hi", "route": "r"])
            var event: JSONValue?
            while event == nil {
                let message = try watcher.receive()
                if message["method"] == "event" { event = message["params"] }
            }
            #expect(event?["topic"] == "breaker.state")
            #expect(event?["to"] == "open")
            #expect(event?["model"] == "sim-503")
            // An admin closes it by hand.
            #expect(try client.call("admin.breaker.reset", params: ["provider": "openai", "model": "sim-503"])["closed"] == 1)
        }
    }
}
