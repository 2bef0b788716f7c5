import JunctionCore
import Testing

@Suite("Readiness: when /readyz says yes")
struct ReadinessTests {
    private func state(_ name: String, _ status: HealthTracker.Status) -> Readiness.ProviderState {
        Readiness.ProviderState(name: name, status: status)
    }

    @Test func readyWhenStartedAndOneProviderServes() {
        let verdict = Readiness.evaluate(
            started: true, draining: false, providers: [self.state("a", .unhealthy), self.state("b", .noData)]
        )
        #expect(verdict == .ready("ready: 1 of 2 providers serving (b)"))
    }

    @Test func degradedAndRateLimitedProvidersStillServe() {
        #expect(Readiness.evaluate(started: true, draining: false, providers: [self.state("a", .degraded)]).isReady)
        #expect(Readiness.evaluate(started: true, draining: false, providers: [self.state("a", .rateLimited)]).isReady)
    }

    @Test func notReadyBeforeTheStartWhileDrainingOrWithoutServingProviders() {
        let healthy = [self.state("a", .healthy)]
        #expect(
            Readiness.evaluate(started: false, draining: false, providers: healthy)
                == .notReady("starting: the RPC socket is not listening yet")
        )
        #expect(
            Readiness.evaluate(started: true, draining: true, providers: healthy)
                == .notReady("draining: the daemon is shutting down")
        )
        #expect(Readiness.evaluate(started: true, draining: false, providers: []) == .notReady("no providers configured"))
        #expect(
            Readiness.evaluate(started: true, draining: false, providers: [self.state("a", .disabled)])
                == .notReady("every provider is disabled")
        )
        #expect(
            Readiness.evaluate(
                started: true, draining: false, providers: [self.state("a", .disabled), self.state("b", .unhealthy)]
            ) == .notReady("every enabled provider is down (b)")
        )
    }
}
