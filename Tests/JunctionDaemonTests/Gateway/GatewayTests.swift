import JunctionCore
import JunctionProviders
import JunctionTesting
import Testing

@testable import JunctionDaemon

/// The gateway in-process against the fake executor and the manual clock: plans, retries, waits, failover,
/// restart and deadlines, in milliseconds and without sleeping.
@Suite("Gateway in-process")
struct GatewayTests {
    static let config = """
        [defaults]
        timeout = "30s"
        [defaults.retry]
        initial_delay = "1s"
        max_delay = "30s"
        jitter = 0
        max_retries = 5
        [defaults.breaker]
        failure_threshold = 3
        [providers.a]
        kind = "openai-compatible"
        base_url = "http://a.test/v1"
        [[providers.a.models]]
        id = "m"
        context_window = 1000
        [providers.b]
        kind = "openai-compatible"
        base_url = "http://b.test/v1"
        [[providers.b.models]]
        id = "m"
        context_window = 8000
        [routes.main]
        targets = ["a:m", "b:m"]
        """

    @Test func answersFromTheFirstTarget() async throws {
        let harness = try GatewayHarness(Self.config)
        harness.executor.on("http://a.test", .json(200, OpenAIBodies.completion("from a")))
        let (result, _) = await harness.generate(route: "main")
        let answer = try result.get()
        #expect(answer.completion.text == "from a")
        #expect(answer.target == TargetRef(provider: "a", model: "m"))
        #expect(harness.recorder.attemptOutcomes.count == 1)
        #expect(harness.recorder.requestOutcomes.count == 1)
    }

    /// Defect 1: `timeout_ms` above `defaults.timeout` was cut at `defaults.timeout`.
    @Test func theRequestDeadlineIsTheOnlyOverallClock() async throws {
        let harness = try GatewayHarness(Self.config.replacingOccurrences(of: "timeout = \"30s\"", with: "timeout = \"1s\""))
        harness.executor.on("http://a.test", .json(200, OpenAIBodies.completion(), latency: .milliseconds(2500)))
        let (result, _) = await harness.generate(route: "main", timeout: .milliseconds(4000))
        #expect(try result.get().completion.text == "hi there")
        let overall = try #require(harness.executor.sent.first?.timeouts.overall)
        #expect(overall > .milliseconds(3900) && overall <= .milliseconds(4000))
    }

    @Test func aPassedDeadlineIsATimeout() async throws {
        let harness = try GatewayHarness(Self.config)
        harness.executor.on("http://a.test", .json(200, OpenAIBodies.completion(), latency: .seconds(10)))
        let (result, _) = await harness.generate(route: "main", timeout: .seconds(2))
        guard case .failure(let failure) = result else { Issue.record("answered"); return }
        #expect(failure.kind == .timeout)
        #expect(harness.executor.count("http://b.test") == 0)
        #expect(harness.clock.elapsed == .seconds(2))
    }

    /// Defect 3: when the breaker opens on a retried target, the request fails over at once instead of sleeping
    /// the remaining backoff, and every wait shows in `wait_ms` and in the latency.
    @Test func aBreakerThatOpensEndsTheRetriesAtOnce() async throws {
        let harness = try GatewayHarness(Self.config)
        harness.executor.on("http://a.test", .json(503, OpenAIBodies.error(503)))
        harness.executor.on("http://b.test", .json(200, OpenAIBodies.completion("from b")))
        let (result, _) = await harness.generate(route: "main")
        let answer = try result.get()
        #expect(answer.target.provider == "b")
        #expect(answer.attempts.map(\.target.provider) == ["a", "a", "a", "b"])
        #expect(answer.attempts.map(\.wait) == [.zero, .seconds(1), .seconds(2), .zero])
        #expect(answer.attempts.compactMap(\.reason) == ["http_503", "http_503", "http_503"])
        // Backoffs of 1 s and 2 s; no third (4 s) after the breaker opened.
        #expect(harness.clock.sleeps == [.seconds(1), .seconds(2)])
        #expect(answer.latency >= .seconds(3))
        #expect(answer.latency == harness.clock.elapsed)
    }

    @Test func aProviderHintIsWaitedWhenItFits() async throws {
        let harness = try GatewayHarness(Self.config)
        harness.executor.on(
            "http://a.test",
            .json(429, OpenAIBodies.error(429, type: "rate_limit_error"), headers: ["retry-after": "3"]),
            .json(200, OpenAIBodies.completion())
        )
        let (result, _) = await harness.generate(route: "main")
        let answer = try result.get()
        #expect(answer.attempts.map(\.wait) == [.zero, .seconds(3)])
        #expect(answer.target.provider == "a")
    }

    /// After a stream cut, the caller is told to discard what it got, and the next target answers in full.
    @Test func aCutStreamIsRestartedOnTheNextTarget() async throws {
        let harness = try GatewayHarness(Self.config)
        harness.executor.on(
            "http://a.test",
            .events(OpenAIBodies.streamChunks(["Hel", "lo"], finish: false), failure: TransportError(.connectionReset, "transfer closed"))
        )
        harness.executor.on("http://b.test", .events(OpenAIBodies.streamChunks(["Hi", "!"])))
        let (result, events) = await harness.generate(route: "main", stream: true)
        let answer = try result.get()
        #expect(answer.completion.text == "Hi!")
        let a = TargetRef(provider: "a", model: "m")
        let b = TargetRef(provider: "b", model: "m")
        #expect(
            events == [
                .started(attempt: 1, target: a, requestID: answer.requestID, served: nil),
                .delta(attempt: 1, seq: 0, text: "Hel"), .delta(attempt: 1, seq: 1, text: "lo"),
                .restart(attempt: 2, reason: "stream_cut"),
                .started(attempt: 2, target: b, requestID: answer.requestID, served: nil),
                .delta(attempt: 2, seq: 0, text: "Hi"), .delta(attempt: 2, seq: 1, text: "!"),
            ]
        )
        #expect(answer.attempts.first?.reason == "stream_cut")
    }

    @Test func aFailedStreamWithNoFallbackReportsThePartialOutput() async throws {
        let harness = try GatewayHarness(Self.config)
        let cut = FakeHTTPExecutor.Reply.events(
            OpenAIBodies.streamChunks(["abc"], finish: false), failure: TransportError(.connectionReset, "reset")
        )
        harness.executor.on("http://a.test", cut)
        harness.executor.on("http://b.test", cut)
        let (result, events) = await harness.generate(route: "main", stream: true)
        guard case .failure(let failure) = result else { Issue.record("answered"); return }
        #expect(failure.kind == .noProviderAvailable)
        // The restart before b retracted a's text; b's three characters are what the caller holds.
        #expect(failure.partialOutputCharacters == 3)
        #expect(events.filter { if case .restart = $0 { true } else { false } }.count == 1)
    }

    @Test func contextLengthFailsOverOnlyToALargerWindow() async throws {
        let harness = try GatewayHarness(
            Self.config + """

                [providers.c]
                kind = "openai-compatible"
                base_url = "http://c.test/v1"
                [[providers.c.models]]
                id = "m"
                context_window = 500
                [routes.three]
                targets = ["a:m", "c:m", "b:m"]
                """
        )
        harness.executor.on(
            "http://a.test", .json(400, OpenAIBodies.error(400, type: "invalid_request_error", code: "context_length_exceeded"))
        )
        harness.executor.on("http://b.test", .json(200, OpenAIBodies.completion("from b")))
        let (result, _) = await harness.generate(route: "three")
        let answer = try result.get()
        #expect(answer.target.provider == "b")
        #expect(harness.executor.count("http://c.test") == 0)
        #expect(answer.skipped.map(\.reason) == [.contextWindowTooSmall(window: 500, needed: 1000)])
    }

    @Test func aContentFilterStopsTheRequest() async throws {
        let harness = try GatewayHarness(Self.config)
        harness.executor.on(
            "http://a.test", .json(400, OpenAIBodies.error(400, type: "invalid_request_error", code: "content_filter"))
        )
        let (result, _) = await harness.generate(route: "main")
        guard case .failure(let failure) = result else { Issue.record("answered"); return }
        guard case .upstream(let target, _) = failure.kind else { Issue.record("\(failure.kind)"); return }
        #expect(target.provider == "a")
        #expect(harness.executor.count("http://b.test") == 0)
    }

    /// Defect 2: a reload that raises `rpm` takes effect at once, in admission and in `providers.health`.
    @Test func aReloadRebuildsTheLimits() async throws {
        let limited = Self.config + "\n[providers.a.limits]\nrpm = 1\nmax_queue_wait = \"100ms\"\n"
        let harness = try GatewayHarness(limited)
        harness.executor.on("http://a.test", .json(200, OpenAIBodies.completion()))
        #expect(try await harness.generate(model: "a:m").result.get().target.provider == "a")
        guard case .failure(let refused) = await harness.generate(model: "a:m").result else {
            Issue.record("the second request in the minute was admitted")
            return
        }
        guard case .rateLimited = refused.kind else { Issue.record("\(refused.kind)"); return }
        try harness.reload(limited.replacingOccurrences(of: "rpm = 1\n", with: "rpm = 1000\n"))
        #expect(try await harness.generate(model: "a:m").result.get().target.provider == "a")
        let provider = harness.health()["providers"]?.arrayValue?.first { $0["provider"] == "a" }
        #expect(provider?["rate_window"]?["rpm_limit"] == 1000)
        #expect(provider?["rate_window"]?["requests_last_minute"] == 2)
    }

    @Test func everyTargetOpenStillGetsOneProbe() async throws {
        let harness = try GatewayHarness(Self.config.replacingOccurrences(of: "max_retries = 5", with: "max_retries = 0"))
        harness.executor.on("http://a.test", .json(503, OpenAIBodies.error(503)))
        harness.executor.on("http://b.test", .json(503, OpenAIBodies.error(503)))
        for _ in 0..<3 { _ = await harness.generate(route: "main") }
        let plan = try harness.gateway.plan(.route("main"), promptTokens: nil, tokens: 10)
        #expect(plan.eligible.isEmpty)
        #expect(plan.allOpenFallback == TargetRef(provider: "a", model: "m"))
        // a recovered: the request that finds every breaker open still sends one probe, to the one open longest.
        harness.executor.replace("http://a.test", .json(200, OpenAIBodies.completion("recovered")))
        let before = (a: harness.executor.count("http://a.test"), b: harness.executor.count("http://b.test"))
        let answer = try await harness.generate(route: "main").result.get()
        #expect(answer.completion.text == "recovered")
        #expect(answer.attempts.map(\.target.provider) == ["a"])
        #expect(harness.executor.count("http://a.test") == before.a + 1)
        #expect(harness.executor.count("http://b.test") == before.b)
        // Its success closed a's breaker: the next plan has a eligible again, b still open.
        let after = try harness.gateway.plan(.route("main"), promptTokens: nil, tokens: 10)
        #expect(after.eligible == [TargetRef(provider: "a", model: "m")])
    }

    @Test func aKeyThatCannotBeReadIsSkippedWithItsReason() async throws {
        let harness = try GatewayHarness(
            Self.config.replacingOccurrences(
                of: "base_url = \"http://a.test/v1\"", with: "base_url = \"http://a.test/v1\"\napi_key_env = \"JUNCTION_TEST_UNSET\""
            )
        )
        harness.executor.on("http://b.test", .json(200, OpenAIBodies.completion()))
        let answer = try await harness.generate(route: "main").result.get()
        #expect(answer.target.provider == "b")
        #expect(answer.skipped.map(\.reason.code) == ["key_unavailable"])
        #expect(harness.executor.count("http://a.test") == 0)
    }
}
