import Testing

@testable import JunctionCore

/// The provider + target breaker composition, with a manual clock.
@Suite("Breaker pair")
struct BreakerPairTests {
    let start = ContinuousClock.now
    let configuration = CircuitBreaker.Configuration(failureThreshold: 2, openFor: .seconds(10))

    /// Two breakers and the transitions they announced.
    struct Pair {
        var provider: CircuitBreaker
        var target: CircuitBreaker
        var transitions: [BreakerPair.ScopedTransition] = []

        mutating func fail(
            _ effect: FailureDisposition.BreakerEffect,
            answered: Bool = true,
            holding slots: BreakerPair.ProbeSlots = [],
            times: Int = 1,
            at now: ContinuousClock.Instant
        ) {
            for _ in 0..<times {
                BreakerPair.failed(
                    provider: &self.provider, target: &self.target, effect: effect, reason: "x", answered: answered,
                    holding: slots, at: now, transitions: &self.transitions
                )
            }
        }

        mutating func admit(at now: ContinuousClock.Instant) -> (CircuitBreaker.Admission, BreakerPair.ProbeSlots) {
            BreakerPair.admit(provider: &self.provider, target: &self.target, at: now, transitions: &self.transitions)
        }
    }

    var pair: Pair {
        Pair(provider: CircuitBreaker(configuration: self.configuration), target: CircuitBreaker(configuration: self.configuration))
    }

    @Test func aConnectionFailureCountsForTheProviderAndTheTarget() {
        var pair = self.pair
        pair.fail(.countProvider, answered: false, times: 2, at: self.start)
        #expect(pair.transitions.map(\.scope) == [.provider, .target])
        #expect(
            BreakerPair.view(provider: pair.provider, target: CircuitBreaker(), at: self.start)
                == .open(since: self.start, until: self.start + .seconds(10))
        )
        #expect(!BreakerPair.admitsRetry(provider: pair.provider, target: CircuitBreaker(), at: self.start))
    }

    @Test func aTargetFailureLeavesTheProviderClosed() {
        var pair = self.pair
        pair.fail(.countTarget, times: 2, at: self.start)
        #expect(pair.provider.state == .closed)
        #expect(pair.transitions.map(\.scope) == [.target])
    }

    @Test func aTargetRefusalGivesTheProviderProbeBack() {
        var pair = self.pair
        pair.fail(.countProvider, answered: false, times: 2, at: self.start)
        // The target's breaker tripped later: at +11 s the provider's interval is over, the target's is not.
        pair.target = CircuitBreaker(configuration: self.configuration)
        pair.fail(.countTarget, times: 2, at: self.start + .seconds(5))
        let (admission, slots) = pair.admit(at: self.start + .seconds(11))
        #expect(admission == .reject(until: self.start + .seconds(15)))
        #expect(slots.isEmpty)
        #expect(pair.provider.state == .halfOpen(probeInFlight: false))
    }

    /// A half-open provider's probe that ends in an HTTP error still proves the connection: the provider closes
    /// instead of keeping its slot taken for ever.
    @Test func anAnsweredFailureResolvesTheProviderProbe() {
        var pair = self.pair
        pair.fail(.countProvider, answered: false, times: 2, at: self.start)
        pair.target = CircuitBreaker(configuration: self.configuration)
        let (admission, slots) = pair.admit(at: self.start + .seconds(11))
        #expect(admission == .probe && slots == [.provider])
        pair.fail(.countTarget, answered: true, holding: slots, at: self.start + .seconds(11))
        #expect(pair.provider.state == .closed)
        // Without an answer (a reset), the slot is released for the next request instead.
        var unanswered = self.pair
        unanswered.fail(.countProvider, answered: false, times: 2, at: self.start)
        unanswered.target = CircuitBreaker(configuration: self.configuration)
        let (_, held) = unanswered.admit(at: self.start + .seconds(11))
        unanswered.fail(.countTarget, answered: false, holding: held, at: self.start + .seconds(11))
        #expect(unanswered.provider.state == .halfOpen(probeInFlight: false))
    }

    /// Only the request that holds a probe slot gives it back.
    @Test func onlyTheHolderReleasesAProbe() {
        var pair = self.pair
        pair.fail(.countTarget, times: 2, at: self.start)
        let later = self.start + .seconds(11)
        let (admission, slots) = pair.admit(at: later)
        #expect(admission == .probe && slots == [.target])
        #expect(BreakerPair.view(provider: pair.provider, target: pair.target, at: later) == .probing)
        #expect(!BreakerPair.admitsRetry(provider: pair.provider, target: pair.target, at: later))
        // Another request, admitted before the breaker opened, is cancelled or rate limited: the probe stays.
        BreakerPair.abandoned(provider: &pair.provider, target: &pair.target, holding: [])
        pair.fail(.rateLimited, holding: [], at: later)
        #expect(pair.target.state == .halfOpen(probeInFlight: true))
        // The holder's uncounted outcome releases it.
        pair.fail(.rateLimited, holding: slots, at: later)
        #expect(BreakerPair.view(provider: pair.provider, target: pair.target, at: later) == .admits)
        // A forced probe is refused while a probe is in flight.
        _ = pair.admit(at: later)
        #expect(!BreakerPair.forceProbe(target: &pair.target, transitions: &pair.transitions))
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
