import Testing

@testable import JunctionCore

/// A fake clock: instants are offsets from one origin.
private let origin = ContinuousClock.now
private func at(_ seconds: Double) -> ContinuousClock.Instant { origin + .milliseconds(Int64(seconds * 1000)) }

@Suite("Failure policy table")
struct FailurePolicyTests {
    private func disposition(_ kind: ProviderError.Kind, shouldRetry: Bool? = nil) -> FailureDisposition {
        FailurePolicy.disposition(for: ProviderError(kind: kind, message: "x", hints: RetryHints(shouldRetry: shouldRetry)))
    }

    @Test func everyRow() {
        let retryable = FailureDisposition(retrySameTarget: true, failover: .next, breaker: .countTarget)
        for kind in [ProviderError.Kind.transient, .serverError, .overloaded, .transport(.connectionReset)] {
            #expect(self.disposition(kind) == retryable, "\(kind)")
        }
        #expect(self.disposition(.rateLimited) == FailureDisposition(retrySameTarget: true, failover: .next, breaker: .rateLimited))
        for failure in [TransportFailure.dns, .connectRefused, .tls, .connectTimeout] {
            #expect(self.disposition(.transport(failure)) == FailureDisposition(retrySameTarget: true, failover: .next, breaker: .countProvider))
        }
        let silent = FailureDisposition(retrySameTarget: false, failover: .next, breaker: .countTarget)
        for kind in [ProviderError.Kind.transport(.firstByteTimeout), .transport(.ttftTimeout), .transport(.idleTimeout), .truncated] {
            #expect(self.disposition(kind) == silent, "\(kind)")
        }
        #expect(self.disposition(.contextLength) == FailureDisposition(retrySameTarget: false, failover: .largerContextOnly, breaker: .none))
        #expect(self.disposition(.contentFilter) == FailureDisposition(retrySameTarget: false, failover: .none, breaker: .none))
        #expect(
            FailurePolicy.disposition(for: ProviderError(kind: .contentFilter, message: ""), failoverOnContentFilter: true).failover == .next
        )
        #expect(self.disposition(.badRequest) == FailureDisposition(retrySameTarget: false, failover: .none, breaker: .none))
        #expect(self.disposition(.notFound) == FailureDisposition(retrySameTarget: false, failover: .next, breaker: .none))
        #expect(self.disposition(.auth) == FailureDisposition(retrySameTarget: false, failover: .next, breaker: .providerAuth))
        #expect(self.disposition(.quotaExhausted) == FailureDisposition(retrySameTarget: false, failover: .next, breaker: .providerQuota))
        // x-should-retry: false stops retries but not failover.
        #expect(self.disposition(.serverError, shouldRetry: false) == FailureDisposition(retrySameTarget: false, failover: .next, breaker: .countTarget))
    }

    /// A per-minute 429 waits and retries; a spent per-day quota cools the target down and fails over at once.
    @Test func rateLimitsAndDailyQuotas() {
        let perMinute = ProviderError(kind: .rateLimited, status: 429, message: "x", hints: RetryHints(retryAfter: .seconds(20)))
        #expect(FailurePolicy.disposition(for: perMinute) == FailureDisposition(retrySameTarget: true, failover: .next, breaker: .rateLimited))
        var daily = ProviderError(
            kind: .rateLimited, status: 429, message: "x", hints: RetryHints(quotaResetAfter: .seconds(7 * 3600))
        )
        let cooldown = FailureDisposition(retrySameTarget: false, failover: .next, breaker: .targetCooldown)
        #expect(FailurePolicy.disposition(for: daily) == cooldown)
        daily.hints.shouldRetry = true  // a hint to retry does not outweigh a spent day
        #expect(FailurePolicy.disposition(for: daily) == cooldown)
        daily.hints.shouldRetry = false
        #expect(FailurePolicy.disposition(for: daily) == cooldown)
        // Billing stays a provider-wide cooldown.
        #expect(self.disposition(.quotaExhausted) == FailureDisposition(retrySameTarget: false, failover: .next, breaker: .providerQuota))
    }
}

@Suite("Retry policy")
struct RetryPolicyTests {
    @Test func backoffSequencesPerStrategy() {
        func sequence(_ strategy: RetryPolicy.Strategy) -> [Int64] {
            let policy = RetryPolicy(strategy: strategy, maxRetries: 6, initialDelay: .seconds(1), maxDelay: .seconds(10))
            return (1...6).map { policy.baseDelay(forRetry: $0).milliseconds }
        }
        #expect(sequence(.exponential) == [1000, 2000, 4000, 8000, 10000, 10000])
        #expect(sequence(.linear) == [1000, 2000, 3000, 4000, 5000, 6000])
        #expect(sequence(.constant) == [1000, 1000, 1000, 1000, 1000, 1000])
        #expect(sequence(.fibonacci) == [1000, 1000, 2000, 3000, 5000, 8000])
    }

    @Test func jitterStaysInBounds() {
        let policy = RetryPolicy(initialDelay: .seconds(4))
        for random in stride(from: 0.0, to: 1.0, by: 0.05) {
            let delay = policy.delay(forRetry: 1, random: random).milliseconds
            #expect(delay >= 3000 && delay <= 5000)
        }
        #expect(policy.delay(forRetry: 1, random: 0) == .seconds(3))
        let full = RetryPolicy(initialDelay: .seconds(4), jitter: .full)
        #expect(full.delay(forRetry: 1, random: 0) == .zero)
        #expect(full.delay(forRetry: 1, random: 0.5) == .seconds(2))
    }

    @Test func hintsWinAndLongWaitsFailOver() {
        let policy = RetryPolicy(maxRetries: 3, initialDelay: .seconds(1), maxWait: .seconds(60))
        #expect(policy.decide(afterAttempt: 1, hint: .seconds(2), remaining: .seconds(100), random: 0.5) == .retry(after: .seconds(2)))
        #expect(policy.decide(afterAttempt: 1, hint: nil, remaining: .seconds(100), random: 0.5) == .retry(after: .seconds(1)))
        guard case .failover = policy.decide(afterAttempt: 1, hint: .seconds(90), remaining: .seconds(100), random: 0.5) else {
            Issue.record("a hint beyond max_wait was honoured")
            return
        }
        guard case .failover = policy.decide(afterAttempt: 1, hint: .seconds(10), remaining: .seconds(5), random: 0.5) else {
            Issue.record("a hint beyond the deadline was honoured")
            return
        }
        guard case .failover = policy.decide(afterAttempt: 4, hint: nil, remaining: .seconds(100), random: 0.5) else {
            Issue.record("retried beyond max_retries")
            return
        }
        guard case .failover = policy.decide(afterAttempt: 3, hint: nil, remaining: .milliseconds(100), random: 0.5) else {
            Issue.record("backoff past the deadline")
            return
        }
    }

    @Test func providerDefaults() {
        #expect(RetryPolicy.defaults(for: .openai).maxRetries == 5)
        #expect(RetryPolicy.defaults(for: .openai).maxDelay == .seconds(60))
        #expect(RetryPolicy.defaults(for: .anthropic).initialDelay == .milliseconds(1500))
        #expect(RetryPolicy.defaults(for: .gemini).maxRetries == 3)
    }
}

@Suite("Circuit breaker")
struct CircuitBreakerTests {
    @Test func opensAfterConsecutiveFailuresAndProbesOnceWhenHalfOpen() {
        var breaker = CircuitBreaker()
        #expect(breaker.admission(at: at(0)).0 == .permit)
        #expect(breaker.requestFailed(at: at(1), reason: "503") == nil)
        #expect(breaker.requestFailed(at: at(2), reason: "503") == nil)
        let opened = breaker.requestFailed(at: at(3), reason: "503")
        #expect(opened?.to == "open")
        #expect(breaker.admission(at: at(10)).0 == .reject(until: at(33)))
        // After 30 s: exactly one probe; others keep skipping.
        let (probe, transition) = breaker.admission(at: at(33))
        #expect(probe == .probe)
        #expect(transition?.to == "half_open")
        if case .reject = breaker.admission(at: at(33.1)).0 {} else { Issue.record("a second request passed a half-open breaker") }
        #expect(breaker.requestSucceeded(at: at(34))?.to == "closed")
        #expect(breaker.admission(at: at(35)).0 == .permit)
    }

    @Test func theOpenIntervalDoublesPerConsecutiveTripUpToTheMaximum() {
        var breaker = CircuitBreaker(configuration: .init(failureThreshold: 1, openFor: .seconds(30), maxOpenFor: .seconds(100)))
        _ = breaker.requestFailed(at: at(0), reason: "x")
        #expect(breaker.state == .open(since: at(0), until: at(30)))
        _ = breaker.admission(at: at(30))
        _ = breaker.requestFailed(at: at(31), reason: "x")
        #expect(breaker.state == .open(since: at(31), until: at(91)))
        _ = breaker.admission(at: at(91))
        _ = breaker.requestFailed(at: at(92), reason: "x")
        #expect(breaker.state == .open(since: at(92), until: at(192)))  // 120 s capped at 100
        _ = breaker.admission(at: at(192))
        _ = breaker.requestSucceeded(at: at(193))
        #expect(breaker.currentOpenInterval == .seconds(30))  // a close resets the doubling
    }

    @Test func opensOnAHighFailureRate() {
        var breaker = CircuitBreaker()
        var transition: CircuitBreaker.Transition?
        for index in 0..<10 {
            let time = at(Double(index))
            if index % 2 == 0 {
                _ = breaker.requestSucceeded(at: time)
            } else {
                transition = breaker.requestFailed(at: time, reason: "500") ?? transition
            }
        }
        #expect(transition?.reason.hasPrefix("5 of 10 requests failed") == true)
    }

    @Test func oldFailuresLeaveTheWindow() {
        var breaker = CircuitBreaker(configuration: .init(failureThreshold: 100))
        for index in 0..<6 { _ = breaker.requestFailed(at: at(Double(index)), reason: "x") }
        for index in 0..<4 { _ = breaker.requestSucceeded(at: at(Double(index))) }
        // 70 s later the six failures are gone: 4 successes and 6 new failures... only after 10 requests.
        for index in 0..<5 { _ = breaker.requestSucceeded(at: at(70 + Double(index))) }
        #expect(breaker.requestFailed(at: at(76), reason: "x") == nil)
        #expect(breaker.state == .closed)
    }

    @Test func resetClosesByHand() {
        var breaker = CircuitBreaker(configuration: .init(failureThreshold: 1))
        _ = breaker.requestFailed(at: at(0), reason: "x")
        #expect(breaker.reset(reason: "admin")?.to == "closed")
        #expect(breaker.admission(at: at(1)).0 == .permit)
    }
}

@Suite("Rate window")
struct RateWindowTests {
    @Test func requestsPerMinuteWithRollingExpiry() {
        var window = RateWindow(limits: .init(requestsPerMinute: 3))
        for second in 0..<3 {
            #expect(window.check(tokens: 10, at: at(Double(second))) == .admit)
            window.recordRequest(tokens: 10, at: at(Double(second)))
        }
        guard case .wait(let wait) = window.check(tokens: 10, at: at(3)) else {
            Issue.record("a fourth request passed rpm = 3")
            return
        }
        #expect(wait > .zero && wait <= .seconds(60))
        #expect(window.check(tokens: 10, at: at(61)) == .admit)
    }

    @Test func tokensPerMinuteAndCorrections() {
        var window = RateWindow(limits: .init(tokensPerMinute: 1000))
        window.recordRequest(tokens: 900, at: at(0))
        if case .admit = window.check(tokens: 200, at: at(1)) { Issue.record("1100 tokens passed tpm = 1000") }
        window.correctTokens(estimated: 900, actual: 300, at: at(1))
        #expect(window.check(tokens: 200, at: at(1)) == .admit)
        #expect(window.usage(at: at(1)).tokens == 300)
    }

    @Test func learnedLimitsAnd429Block() {
        var window = RateWindow()
        var snapshot = RateLimitSnapshot()
        snapshot.requestsRemaining = 0
        snapshot.requestsReset = .seconds(5)
        window.learn(snapshot, at: at(0))
        #expect(window.check(tokens: 1, at: at(1)) == .wait(.seconds(4)))
        #expect(window.check(tokens: 1, at: at(5)) == .admit)
        window.rateLimited(retryAfter: .seconds(2), fallback: .seconds(10), at: at(10))
        #expect(window.isBlocked(at: at(11)))
        #expect(!window.isBlocked(at: at(12)))
    }

    @Test func requestsPerDay() {
        var window = RateWindow(limits: .init(requestsPerDay: 2))
        window.recordRequest(tokens: 1, at: at(0))
        window.recordRequest(tokens: 1, at: at(100))
        if case .admit = window.check(tokens: 1, at: at(200)) { Issue.record("rpd exceeded") }
        #expect(window.check(tokens: 1, at: at(86_401)) == .admit)
    }

    @Test func memoryIsBoundedWhateverTheTraffic() {
        var counter = RollingCounter(window: .seconds(60), buckets: 60)
        // 100,000 requests in 10 s: all counted, in 60 fixed buckets, and gone a minute later.
        for index in 0..<100_000 { counter.record(at: at(Double(index) * 0.0001)) { $0.requests += 1 } }
        #expect(counter.totals(at: at(10)).requests == 100_000)
        #expect(counter.totals(at: at(40)).requests == 100_000)
        #expect(counter.totals(at: at(75)).requests == 0)
    }
}

@Suite("Health tracker")
struct HealthTrackerTests {
    @Test func percentilesEWMAAndStatus() {
        var health = HealthTracker()
        for latency in 1...100 { health.recordSuccess(latency: .milliseconds(latency), at: at(1)) }
        #expect(health.latency(percentile: 50) == 50)
        #expect(health.latency(percentile: 99) == 99)
        #expect(health.latencyEWMA != nil)
        let fast = health.status(at: at(2), disabled: false, breakerOpen: false, authFailed: false, rateLimited: false, slowThreshold: .seconds(2))
        #expect(fast.0 == .healthy)
        let slow = health.status(at: at(2), disabled: false, breakerOpen: false, authFailed: false, rateLimited: false, slowThreshold: .milliseconds(50))
        #expect(slow.0 == .degraded)
        for _ in 0..<20 { health.recordFailure("503", at: at(3)) }
        #expect(health.status(at: at(3), disabled: false, breakerOpen: false, authFailed: false, rateLimited: false, slowThreshold: .seconds(2)).0 == .degraded)
        #expect(health.status(at: at(3), disabled: false, breakerOpen: true, authFailed: false, rateLimited: false, slowThreshold: .seconds(2)).0 == .unhealthy)
        #expect(health.status(at: at(3), disabled: true, breakerOpen: true, authFailed: false, rateLimited: false, slowThreshold: .seconds(2)).0 == .disabled)
        health.recordProbe(ok: false, latency: .zero, detail: "503", at: at(4))
        health.recordProbe(ok: false, latency: .zero, detail: "503", at: at(5))
        #expect(health.status(at: at(70), disabled: false, breakerOpen: false, authFailed: false, rateLimited: false, slowThreshold: .seconds(2)).0 == .unhealthy)
    }

    @Test func samplesAreBounded() {
        var health = HealthTracker()
        for index in 0..<10_000 { health.recordSuccess(latency: .milliseconds(index % 100), at: at(1)) }
        #expect(health.latency(percentile: 100) == 99)
    }
}
