import Testing

@testable import JunctionCore

/// The provider + target breaker composition, with a manual clock.
@Suite("Breaker pair")
struct BreakerPairTests {
    let start = ContinuousClock.now
    let configuration = CircuitBreaker.Configuration(failureThreshold: 2, openFor: .seconds(10))

    @Test func aConnectionFailureCountsForTheProviderAndTheTarget() {
        var provider = CircuitBreaker(configuration: self.configuration)
        var target = CircuitBreaker(configuration: self.configuration)
        var transitions: [BreakerPair.ScopedTransition] = []
        for _ in 0..<2 {
            BreakerPair.failed(
                provider: &provider, target: &target, effect: .countProvider, reason: "dns", at: self.start,
                transitions: &transitions
            )
        }
        #expect(transitions.map(\.scope) == [.provider, .target])
        #expect(BreakerPair.view(provider: provider, target: CircuitBreaker(), at: self.start) == .open(since: self.start, until: self.start + .seconds(10)))
        #expect(!BreakerPair.admitsRetry(provider: provider, target: CircuitBreaker(), at: self.start))
    }

    @Test func aTargetFailureLeavesTheProviderClosed() {
        var provider = CircuitBreaker(configuration: self.configuration)
        var target = CircuitBreaker(configuration: self.configuration)
        var transitions: [BreakerPair.ScopedTransition] = []
        for _ in 0..<2 {
            BreakerPair.failed(
                provider: &provider, target: &target, effect: .countTarget, reason: "http_503", at: self.start,
                transitions: &transitions
            )
        }
        #expect(provider.state == .closed)
        #expect(transitions.map(\.scope) == [.target])
    }

    @Test func aTargetRefusalGivesTheProviderProbeBack() {
        var provider = CircuitBreaker(configuration: self.configuration)
        var target = CircuitBreaker(configuration: self.configuration)
        var transitions: [BreakerPair.ScopedTransition] = []
        for _ in 0..<2 {
            BreakerPair.failed(
                provider: &provider, target: &target, effect: .countProvider, reason: "dns", at: self.start,
                transitions: &transitions
            )
        }
        // The provider's interval is over, the target's too, but another target took the target's probe first.
        let later = self.start + .seconds(11)
        #expect(BreakerPair.admit(provider: &provider, target: &target, at: later, transitions: &transitions) == .probe)
        var other = target
        #expect(BreakerPair.admit(provider: &provider, target: &other, at: later, transitions: &transitions) == .reject(until: later + .seconds(1)))
        // A success through the pair closes both.
        BreakerPair.succeeded(provider: &provider, target: &target, at: later, transitions: &transitions)
        #expect(provider.state == .closed && target.state == .closed)
    }

    @Test func anUncountedFailureReleasesTheProbe() {
        var provider = CircuitBreaker(configuration: self.configuration)
        var target = CircuitBreaker(configuration: self.configuration)
        var transitions: [BreakerPair.ScopedTransition] = []
        for _ in 0..<2 {
            BreakerPair.failed(provider: &provider, target: &target, effect: .countTarget, reason: "x", at: self.start, transitions: &transitions)
        }
        let later = self.start + .seconds(11)
        #expect(BreakerPair.admit(provider: &provider, target: &target, at: later, transitions: &transitions) == .probe)
        #expect(BreakerPair.view(provider: provider, target: target, at: later) == .probing)
        BreakerPair.failed(provider: &provider, target: &target, effect: .rateLimited, reason: "429", at: later, transitions: &transitions)
        #expect(BreakerPair.view(provider: provider, target: target, at: later) == .admits)
    }

    @Test func aReconfiguredBreakerKeepsItsState() {
        var breaker = CircuitBreaker(configuration: self.configuration)
        _ = breaker.requestFailed(at: self.start, reason: "x")
        breaker.reconfigure(CircuitBreaker.Configuration(failureThreshold: 1, openFor: .seconds(10)))
        #expect(breaker.consecutiveFailures == 1)
        #expect(breaker.requestFailed(at: self.start, reason: "x") != nil)
        #expect(breaker.configuration.failureThreshold == 1)
    }
}
