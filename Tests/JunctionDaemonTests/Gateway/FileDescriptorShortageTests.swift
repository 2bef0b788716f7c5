import JunctionCore
import JunctionProviders
import JunctionRPC
import JunctionTesting
import Testing

@testable import JunctionDaemon

/// Issue 8, defect 10: a socket the daemon cannot open for lack of file descriptors is the daemon's failure, not
/// the provider's.
@Suite("Out of file descriptors, in-process")
struct FileDescriptorShortageTests {
    func provider(_ harness: GatewayHarness, _ name: String) -> JSONValue? {
        harness.health()["providers"]?.arrayValue?.first { $0["provider"] == .string(name) }
    }

    @Test func theRequestFailsAtOnceWithMinus32008AndNoProviderIsBlamed() async throws {
        let harness = try GatewayHarness(GatewayTests.config)
        let shortage = "out of file descriptors (Too many open files)"
        harness.executor.on("http://a.test", .failing(.outOfFileDescriptors, shortage))
        harness.executor.on("http://b.test", .json(200, OpenAIBodies.completion("from b")))
        // More than the breaker's threshold (3) and than the health tracker's minimum sample (5).
        for _ in 0..<8 {
            guard case .failure(let failure) = await harness.generate(route: "main").result else {
                Issue.record("answered although no socket could be opened")
                return
            }
            #expect(failure.kind == .outOfFileDescriptors)
            let error = GenerateMethod.error(failure, at: harness.clock.now)
            #expect(error.code == -32008)
            #expect(error.message.contains("out of file descriptors"))
        }
        // No retry (the same shortage) and no failover (every target needs a socket), no waiting.
        #expect(harness.executor.count("http://a.test") == 8)
        #expect(harness.executor.count("http://b.test") == 0)
        #expect(harness.clock.sleeps.allSatisfy { $0 == .zero })
        let a = self.provider(harness, "a")
        let target = a?["targets"]?.arrayValue?.first
        #expect(a?["breaker"]?["state"] == "closed")
        #expect(a?["breaker"]?["consecutive_failures"] == 0)
        #expect(target?["breaker"]?["state"] == "closed")
        #expect(target?["breaker"]?["consecutive_failures"] == 0)
        #expect(a?["error_rate"] == 0)
        #expect(a?["status"] != "UNHEALTHY" && a?["status"] != "DEGRADED", "\(a?.compactText ?? "")")
        // The request log still hears of every attempt, with the stable reason.
        let reasons = harness.recorder.attemptOutcomes.map { outcome -> String? in
            if case .failed(let failure) = outcome.result { failure.reason } else { nil }
        }
        #expect(reasons == Array(repeating: "out_of_file_descriptors", count: 8))
    }

    @Test func theDispositionIsLocal() {
        let error = ProviderError(kind: .transport(.outOfFileDescriptors), message: "out of file descriptors")
        #expect(
            FailurePolicy.disposition(for: error)
                == FailureDisposition(retrySameTarget: false, failover: .none, breaker: .local)
        )
        #expect(FailureReason.code(for: error, streamStarted: false) == "out_of_file_descriptors")
        #expect(FailureReason.codes.contains("out_of_file_descriptors"))
    }

    /// The warning is logged once a minute however often the condition is met; the count in between goes along.
    @Test func theConditionIsLoggedAtMostOncePerMinute() {
        let clock = ManualClock()
        var limiter = OncePerInterval(interval: .seconds(60))
        #expect(limiter.occurred(at: clock.now) == 0)
        for _ in 0..<500 {
            clock.advance(by: .milliseconds(100))
            #expect(limiter.occurred(at: clock.now) == nil)
        }
        clock.advance(by: .seconds(10))  // 60 s after the first
        #expect(limiter.occurred(at: clock.now) == 500)
        clock.advance(by: .seconds(59))
        #expect(limiter.occurred(at: clock.now) == nil)
        clock.advance(by: .seconds(1))
        #expect(limiter.occurred(at: clock.now) == 1)
    }
}
