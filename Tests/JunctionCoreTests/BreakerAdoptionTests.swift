import Testing

@testable import JunctionCore

private let origin = ContinuousClock.now
private func at(_ seconds: Double) -> ContinuousClock.Instant { origin + .milliseconds(Int64(seconds * 1000)) }

/// A breaker adopting another daemon's state (issue 13): open until the fleet's end, never over a probe of its
/// own, and closed by the fleet's successful probe.
@Suite("Circuit breaker adoption")
struct BreakerAdoptionTests {
    @Test func aClosedBreakerAdoptsTheFleetsOpenUntilItsEnd() {
        var breaker = CircuitBreaker()
        let transition = breaker.adoptOpen(until: at(10), reason: "3 consecutive failures", at: at(0))
        #expect(transition?.from == "closed")
        #expect(transition?.to == "open")
        #expect(transition?.reason == "adopted from the fleet: 3 consecutive failures")
        #expect(breaker.admission(at: at(9.9)).0 == .reject(until: at(10)))
        // At the end it probes as its own open interval would.
        #expect(breaker.admission(at: at(10)).0 == .probe)
    }

    @Test func anOpenBreakerOnlyLengthens() {
        var breaker = CircuitBreaker(configuration: .init(failureThreshold: 1, openFor: .seconds(30)))
        _ = breaker.requestFailed(at: at(0), reason: "503")
        #expect(breaker.adoptOpen(until: at(5), reason: "x", at: at(1)) == nil)
        #expect(breaker.state == .open(since: at(0), until: at(30)))
        #expect(breaker.adoptOpen(until: at(60), reason: "x", at: at(1)) == nil)
        #expect(breaker.state == .open(since: at(0), until: at(60)))
    }

    @Test func aProbeInFlightIsNotOverruled() {
        var breaker = CircuitBreaker(configuration: .init(failureThreshold: 1, openFor: .seconds(1)))
        _ = breaker.requestFailed(at: at(0), reason: "503")
        #expect(breaker.admission(at: at(1)).0 == .probe)
        #expect(breaker.adoptOpen(until: at(30), reason: "x", at: at(1.1)) == nil)
        #expect(breaker.state == .halfOpen(probeInFlight: true))
        // The probe's own outcome decides.
        #expect(breaker.requestSucceeded(at: at(1.2))?.to == "closed")
    }

    @Test func anEndInThePastIsIgnored() {
        var breaker = CircuitBreaker()
        #expect(breaker.adoptOpen(until: at(1), reason: "x", at: at(2)) == nil)
        #expect(breaker.state == .closed)
    }

    @Test func theFleetsCloseClosesAnOpenBreakerOnly() {
        var breaker = CircuitBreaker(configuration: .init(failureThreshold: 1, openFor: .seconds(30)))
        #expect(breaker.adoptClosed(reason: "probe succeeded") == nil)
        _ = breaker.requestFailed(at: at(0), reason: "503")
        let transition = breaker.adoptClosed(reason: "probe succeeded")
        #expect(transition?.from == "open")
        #expect(transition?.to == "closed")
        #expect(breaker.admission(at: at(1)).0 == .permit)
        // A half-open breaker is probing here: its own probe decides, not the fleet.
        _ = breaker.requestFailed(at: at(2), reason: "503")
        #expect(breaker.admission(at: at(40)).0 == .probe)
        #expect(breaker.adoptClosed(reason: "x") == nil)
    }
}
