import JunctionCore
import Logging
import Testing

@testable import JunctionDaemon

@Suite("Load sharing among equal-priority targets")
struct LoadSharingTests {
    private let a = TargetRef(provider: "a", model: "m")
    private let b = TargetRef(provider: "b", model: "m")
    private let policy = PolicyOverrides().policy(for: .openai)

    @Test func weightsDecideTheShare() {
        let resilience = Resilience(events: EventBus(), logger: Logger(label: "test"))
        // Weights 3 and 1: a draw in the first three quarters picks a first.
        #expect(resilience.shareLoad([self.a, self.b], weights: [3, 1], random: { 0.70 }) == [self.a, self.b])
        #expect(resilience.shareLoad([self.a, self.b], weights: [3, 1], random: { 0.80 }) == [self.b, self.a])
        var firsts = 0
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<4000 where resilience.shareLoad([self.a, self.b], weights: [3, 1], random: { Double.random(in: 0..<1, using: &generator) }).first == self.a {
            firsts += 1
        }
        #expect((2700...3300).contains(firsts), "\(firsts) of 4000")
    }

    @Test func theFasterTargetLeans() {
        let resilience = Resilience(events: EventBus(), logger: Logger(label: "test"))
        for _ in 0..<10 {
            resilience.succeeded(self.a, policy: self.policy, latency: .milliseconds(100), estimatedTokens: 1, actualTokens: nil, rateLimits: RateLimitSnapshot(), at: .now)
            resilience.succeeded(self.b, policy: self.policy, latency: .milliseconds(200), estimatedTokens: 1, actualTokens: nil, rateLimits: RateLimitSnapshot(), at: .now)
        }
        // Equal weights, b twice as slow: a gets two thirds of the draws.
        #expect(resilience.shareLoad([self.a, self.b], weights: [1, 1], random: { 0.60 }) == [self.a, self.b])
        #expect(resilience.shareLoad([self.a, self.b], weights: [1, 1], random: { 0.70 }) == [self.b, self.a])
    }
}
