import JunctionCore
import JunctionProviders
import JunctionTesting
import Testing

@testable import JunctionDaemon

/// Issue 8, defect 5: caller-chosen `provider:model` names created resilience state that was never freed, and
/// the failing ones were probed for ever.
@Suite("Dynamic targets")
struct DynamicTargetTests {
    static let config = GatewayTests.config.replacingOccurrences(of: "max_retries = 5", with: "max_retries = 0") + """

        [resilience]
        max_dynamic_targets = 20
        dynamic_target_idle_expiry = "60s"
        """

    private func targets(_ harness: GatewayHarness, _ provider: String) -> [String] {
        let entry = harness.health()["providers"]?.arrayValue?.first { $0["provider"] == .string(provider) }
        return entry?["targets"]?.arrayValue?.compactMap { $0["model"]?.stringValue } ?? []
    }

    @Test func manyDistinctNamesKeepAtMostTheCapOfStates() async throws {
        let harness = try GatewayHarness(Self.config)
        harness.executor.on("http://a.test", .json(200, OpenAIBodies.completion()))
        _ = try await harness.generate(model: "a:m").result.get()
        for index in 0..<200 {
            _ = try await harness.generate(model: "a:name-\(index)").result.get()
            harness.clock.advance(by: .milliseconds(10))
        }
        let models = self.targets(harness, "a")
        // The configured target stays; of the 200 others, the 20 used last.
        #expect(models.count == 21)
        #expect(models.contains("m"))
        #expect(Set(models.filter { $0 != "m" }) == Set((180..<200).map { "name-\($0)" }))
        #expect(harness.resilience.dynamicTargetCount == 20)
    }

    @Test func idleNamesAreForgottenButAnOpenBreakerOnlyOnceItsIntervalIsOver() async throws {
        let config = Self.config.replacingOccurrences(
            of: "failure_threshold = 3", with: "failure_threshold = 3\nopen_for = \"120s\"\nmax_open_for = \"10m\""
        )
        let harness = try GatewayHarness(config)
        harness.executor.on("http://a.test", .json(503, OpenAIBodies.error(503)))
        for _ in 0..<3 { _ = await harness.generate(model: "a:failing") }
        for _ in 0..<3 { _ = await harness.generate(model: "a:m") }
        for index in 0..<5 { _ = await harness.generate(model: "a:once-\(index)") }
        let failing = TargetRef(provider: "a", model: "failing")
        let configured = TargetRef(provider: "a", model: "m")
        #expect(Set(harness.resilience.openTargets(at: harness.clock.now)) == [failing, configured])
        #expect(self.targets(harness, "a").count == 7)

        // Idle past the expiry: the names that hold nothing are forgotten; the open breaker is kept for the rest
        // of its open interval (forgetting it would let traffic through), but no longer probed.
        harness.clock.advance(by: .seconds(61))
        #expect(harness.resilience.forgetIdleTargets(at: harness.clock.now) == 5)
        #expect(harness.resilience.openTargets(at: harness.clock.now) == [configured])
        #expect(self.targets(harness, "a") == ["failing", "m"])
        let plan = try harness.gateway.plan(.model("a:failing"), promptTokens: nil, tokens: 10)
        #expect(plan.skipped.map(\.reason.code) == ["breaker_open"])

        // Its open interval over, it goes too; a late probe result does not bring it back.
        harness.clock.advance(by: .seconds(60))
        #expect(harness.resilience.forgetIdleTargets(at: harness.clock.now) == 1)
        harness.resilience.probeFinished(
            failing, provider: "a", ok: false, latency: .milliseconds(5), detail: "HTTP 503", at: harness.clock.now
        )
        #expect(self.targets(harness, "a") == ["m"])
        // The configured target is never forgotten, however long it is idle.
        harness.clock.advance(by: .seconds(3600))
        #expect(harness.resilience.forgetIdleTargets(at: harness.clock.now) == 0)
        #expect(self.targets(harness, "a") == ["m"])
    }

    /// A reload that stops naming a model makes its state dynamic: bounded and forgotten when idle.
    @Test func aModelTheConfigurationNoLongerNamesBecomesDynamic() async throws {
        let harness = try GatewayHarness(Self.config)
        harness.executor.on("http://a.test", .json(200, OpenAIBodies.completion()))
        _ = try await harness.generate(model: "a:m").result.get()
        let reloaded = Self.config
            .replacingOccurrences(of: "id = \"m\"\ncontext_window = 1000", with: "id = \"k\"")
            .replacingOccurrences(of: "targets = [\"a:m\", \"b:m\"]", with: "targets = [\"b:m\"]")
        try harness.reload(reloaded)
        #expect(harness.resilience.dynamicTargetCount == 1)
        harness.clock.advance(by: .seconds(61))
        #expect(harness.resilience.forgetIdleTargets(at: harness.clock.now) == 1)
        #expect(self.targets(harness, "a") == [])
    }
}
