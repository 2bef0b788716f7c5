/// How a target is retried: the delay before each retry, bounded by the provider's hints and the request's
/// deadline. Pure: the random number for jitter is passed in.
public struct RetryPolicy: Sendable, Equatable {
    public enum Strategy: String, Sendable, CaseIterable {
        case exponential
        case linear
        case constant
        case fibonacci
    }

    public enum Jitter: Sendable, Equatable {
        /// ± this fraction of the delay.
        case fraction(Double)
        /// Anywhere between zero and the delay ("full jitter").
        case full
    }

    public var strategy: Strategy
    public var maxRetries: Int
    public var initialDelay: Duration
    public var maxDelay: Duration
    public var jitter: Jitter
    /// The longest provider-requested wait honoured; a longer hint means "fail over now".
    public var maxWait: Duration

    public init(
        strategy: Strategy = .exponential,
        maxRetries: Int = 3,
        initialDelay: Duration = .seconds(1),
        maxDelay: Duration = .seconds(30),
        jitter: Jitter = .fraction(0.25),
        maxWait: Duration = .seconds(120)
    ) {
        self.strategy = strategy
        self.maxRetries = maxRetries
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
        self.maxWait = maxWait
    }

    /// Per-kind defaults: OpenAI 5 / 1 s / 60 s; Anthropic 4 / 1.5 s / 45 s; the others 3 / 1 s / 30 s.
    public static func defaults(for kind: ProviderKind) -> RetryPolicy {
        switch kind {
        case .openai: RetryPolicy(maxRetries: 5, initialDelay: .seconds(1), maxDelay: .seconds(60))
        case .anthropic: RetryPolicy(maxRetries: 4, initialDelay: .milliseconds(1500), maxDelay: .seconds(45))
        default: RetryPolicy(maxRetries: 3, initialDelay: .seconds(1), maxDelay: .seconds(30))
        }
    }

    /// The schedule's delay before retry number `retry` (1 for the first retry), before jitter.
    public func baseDelay(forRetry retry: Int) -> Duration {
        let initial = Double(self.initialDelay.milliseconds)
        let factor: Double
        switch self.strategy {
        case .exponential: factor = pow2(retry - 1)
        case .linear: factor = Double(retry)
        case .constant: factor = 1
        case .fibonacci: factor = Double(fibonacci(retry))
        }
        let milliseconds = min(initial * factor, Double(self.maxDelay.milliseconds))
        return .milliseconds(Int64(milliseconds))
    }

    /// The delay with jitter applied; `random` is uniform in [0, 1).
    public func delay(forRetry retry: Int, random: Double) -> Duration {
        let base = Double(self.baseDelay(forRetry: retry).milliseconds)
        let jittered: Double
        switch self.jitter {
        case .fraction(let fraction): jittered = base * (1 - fraction + 2 * fraction * random)
        case .full: jittered = base * random
        }
        return .milliseconds(Int64(max(0, jittered).rounded()))
    }

    public enum Decision: Sendable, Equatable {
        /// Try the same target again after this wait.
        case retry(after: Duration)
        /// Move on: the retries are spent, or the wait would not fit.
        case failover(reason: String)
    }

    /// What to do after failed attempt number `attempt` (1-based) on a target, given the provider's hint and the
    /// time left. A provider's hint wins over the schedule; a hint beyond `maxWait` or the deadline means fail
    /// over now instead of sleeping.
    public func decide(afterAttempt attempt: Int, hint: Duration?, remaining: Duration, random: Double) -> Decision {
        guard attempt <= self.maxRetries else { return .failover(reason: "retries exhausted (\(self.maxRetries))") }
        if let hint {
            if hint > self.maxWait { return .failover(reason: "provider asks to wait \(DurationText.format(hint)), more than max_wait") }
            if hint >= remaining { return .failover(reason: "provider asks to wait \(DurationText.format(hint)), beyond the deadline") }
            return .retry(after: hint)
        }
        let wait = self.delay(forRetry: attempt, random: random)
        if wait >= remaining { return .failover(reason: "backoff of \(DurationText.format(wait)) would pass the deadline") }
        return .retry(after: wait)
    }
}

private func pow2(_ exponent: Int) -> Double {
    exponent <= 0 ? 1 : Double(1 << min(exponent, 40))
}

private func fibonacci(_ n: Int) -> Int {
    var (a, b) = (1, 1)
    for _ in 1..<max(n, 1) { (a, b) = (b, a + b) }
    return a
}
