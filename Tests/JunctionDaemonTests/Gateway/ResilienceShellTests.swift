import JunctionCore
import JunctionProviders
import JunctionTesting
import Testing

@testable import JunctionDaemon

/// The resilience shell's marks and `providers.health`, through the in-process gateway.
@Suite("Resilience shell")
struct ResilienceShellTests {
    static let config = GatewayTests.config + """

        [[providers.a.models]]
        id = "n"
        """

    func provider(_ harness: GatewayHarness, _ name: String) -> JSONValue? {
        harness.health()["providers"]?.arrayValue?.first { $0["provider"] == .string(name) }
    }

    /// Defect 7: a provider marked quota-exhausted stayed so after successful probes.
    @Test func aSuccessfulProbeEndsTheQuotaCooldown() async throws {
        let harness = try GatewayHarness(Self.config)
        harness.executor.on(
            "http://a.test", .json(429, OpenAIBodies.error(429, type: "insufficient_quota", code: "insufficient_quota"))
        )
        harness.executor.on("http://b.test", .json(200, OpenAIBodies.completion()))
        _ = try await harness.generate(route: "main").result.get()
        let plan = try harness.gateway.plan(.route("main"), promptTokens: nil, tokens: 10)
        #expect(plan.skipped.map(\.reason.code) == ["quota_exhausted"])
        #expect(self.provider(harness, "a")?["status"] == "UNHEALTHY")
        harness.resilience.probeFinished(
            TargetRef(provider: "a", model: "m"), provider: "a", ok: true, latency: .milliseconds(20),
            detail: "1-token generate", at: harness.clock.now
        )
        #expect(try harness.gateway.plan(.route("main"), promptTokens: nil, tokens: 10).eligible.count == 2)
        #expect(self.provider(harness, "a")?["quota_cooldown_ms"] == nil)
    }

    /// Defect 6: an open breaker says how long it has been open and when the next probe is due; a provider's
    /// status is its own, not one model's.
    @Test func healthSaysHowLongABreakerHasBeenOpen() async throws {
        let harness = try GatewayHarness(Self.config.replacingOccurrences(of: "max_retries = 5", with: "max_retries = 0"))
        harness.executor.on("http://a.test/v1/chat", .json(503, OpenAIBodies.error(503)))
        harness.executor.on("http://b.test", .json(200, OpenAIBodies.completion()))
        for _ in 0..<3 { _ = await harness.generate(model: "a:m") }
        // Long after the open interval (30 s), with probes failing every 5 s: not "open (0s)".
        for _ in 0..<8 {
            harness.clock.advance(by: .seconds(5))
            harness.resilience.probeFinished(
                TargetRef(provider: "a", model: "m"), provider: "a", ok: false, latency: .milliseconds(10),
                detail: "HTTP 503", at: harness.clock.now
            )
        }
        harness.clock.advance(by: .seconds(2))
        let breaker = self.provider(harness, "a")?["targets"]?.arrayValue?.first?["breaker"]
        #expect(breaker?["state"] == "open")
        #expect(breaker?["open_for_ms"] == 0)
        #expect((breaker?["open_since_ms"]?.intValue ?? 0) >= 42_000)
        #expect(breaker?["next_probe_in_ms"] == 0)
        // One model's breaker is open: the provider is not unhealthy because of it alone while another serves.
        harness.resilience.probeFinished(
            TargetRef(provider: "a", model: "n"), provider: "a", ok: true, latency: .milliseconds(10), detail: "ok",
            at: harness.clock.now
        )
        let provider = self.provider(harness, "a")
        #expect(provider?["status"] == "DEGRADED")
        #expect(provider?["reason"] == "1 of 2 models not healthy")
    }

    @Test func aTargetWithFewRequestsIsNoData() async throws {
        let harness = try GatewayHarness(Self.config.replacingOccurrences(of: "max_retries = 5", with: "max_retries = 0"))
        harness.executor.on("http://a.test", .json(500, OpenAIBodies.error(500)))
        harness.executor.on("http://b.test", .json(200, OpenAIBodies.completion()))
        _ = await harness.generate(route: "main")
        let target = self.provider(harness, "a")?["targets"]?.arrayValue?.first
        #expect(target?["status"] == "NO_DATA")
        #expect(target?["error_rate"] == 1.0)
    }

    /// Daily quota: the target cools down until the reset; the provider's other models keep serving.
    @Test func aDailyQuotaCoolsTheTargetNotTheProvider() async throws {
        let harness = try GatewayHarness(Self.config)
        let outcome = AttemptOutcome(
            target: TargetRef(provider: "a", model: "m"), number: 1, wait: .zero, started: .now, ended: .now,
            estimatedTokens: 10, probes: [],
            result: .failed(
                AttemptOutcome.Failure(
                    error: ProviderError(
                        kind: .rateLimited, status: 429, message: "per day", hints: RetryHints(quotaResetAfter: .seconds(3600))
                    ),
                    disposition: FailureDisposition(retrySameTarget: false, failover: .next, breaker: .targetCooldown),
                    reason: "daily_quota", outputSent: false, sentCharacters: 0
                )
            )
        )
        _ = harness.resilience.apply(outcome)
        let plan = try harness.gateway.plan(.model("a:m"), promptTokens: nil, tokens: 10)
        #expect(plan.skipped.map(\.reason.code) == ["daily_quota"])
        #expect(try harness.gateway.plan(.model("a:n"), promptTokens: nil, tokens: 10).eligible.count == 1)
    }
}
