/// Requests and tokens in a rolling minute, and requests in the current day, against configured limits (`rpm`,
/// `tpm`, `rpd`) and the limits a provider reported (remaining and reset). Pure; time passed in; O(1) per
/// request and fixed memory.
public struct RateWindow: Sendable, Equatable {
    public struct Limits: Sendable, Equatable {
        public var requestsPerMinute: Int?
        public var tokensPerMinute: Int?
        public var requestsPerDay: Int?

        public init(requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil, requestsPerDay: Int? = nil) {
            self.requestsPerMinute = requestsPerMinute
            self.tokensPerMinute = tokensPerMinute
            self.requestsPerDay = requestsPerDay
        }
    }

    public enum Decision: Sendable, Equatable {
        case admit
        /// No room now; room in this long.
        case wait(Duration)
    }

    public private(set) var limits: Limits
    private var minute = RollingCounter(window: .seconds(60), buckets: 60)
    private var dayStart: ContinuousClock.Instant?
    private var dayRequests = 0
    /// The provider said: nothing left until then (a 429's Retry-After, or remaining 0 with a reset time).
    public private(set) var blockedUntil: ContinuousClock.Instant?
    /// What the provider last reported.
    public private(set) var learned: RateLimitSnapshot?

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Takes new configured limits (a reload); the requests and tokens counted so far are kept.
    public mutating func reconfigure(limits: Limits) {
        self.limits = limits
    }

    /// Whether a request of `tokens` (estimated) fits now, and if not, how long until it would.
    public mutating func check(tokens: Int, at now: ContinuousClock.Instant) -> Decision {
        if let blocked = self.blockedUntil {
            if now < blocked { return .wait(blocked - now) }
            self.blockedUntil = nil
        }
        self.rollDay(at: now)
        if let perDay = self.limits.requestsPerDay, self.dayRequests >= perDay {
            return .wait(self.dayStart.map { $0 + .seconds(86_400) - now } ?? .seconds(86_400))
        }
        let totals = self.minute.totals(at: now)
        let expiry = max(self.minute.oldestExpiry(at: now), .milliseconds(1))
        if let rpm = self.limits.requestsPerMinute, totals.requests >= rpm { return .wait(expiry) }
        if let tpm = self.limits.tokensPerMinute, totals.tokens > 0, totals.tokens + tokens > tpm { return .wait(expiry) }
        return .admit
    }

    /// A request was sent with an estimated `tokens`.
    public mutating func recordRequest(tokens: Int, at now: ContinuousClock.Instant) {
        self.rollDay(at: now)
        self.dayRequests += 1
        self.minute.record(at: now) {
            $0.requests += 1
            $0.tokens += tokens
        }
    }

    /// The provider reported the real usage: replace the estimate.
    public mutating func correctTokens(estimated: Int, actual: Int, at now: ContinuousClock.Instant) {
        self.minute.record(at: now) { $0.tokens += actual - estimated }
    }

    /// Limits from the provider's headers; remaining 0 blocks until the reset.
    public mutating func learn(_ snapshot: RateLimitSnapshot, at now: ContinuousClock.Instant) {
        guard !snapshot.isEmpty else { return }
        self.learned = snapshot
        var until: ContinuousClock.Instant?
        if snapshot.requestsRemaining == 0, let reset = snapshot.requestsReset { until = now + reset }
        if snapshot.tokensRemaining == 0, let reset = snapshot.tokensReset { until = max(until ?? now, now + reset) }
        if let until { self.blockedUntil = max(self.blockedUntil ?? until, until) }
    }

    /// A 429: nothing until the provider's reset (or `fallback` when it gave none).
    public mutating func rateLimited(retryAfter: Duration?, fallback: Duration, at now: ContinuousClock.Instant) {
        let until = now + (retryAfter ?? fallback)
        self.blockedUntil = max(self.blockedUntil ?? until, until)
    }

    public mutating func usage(at now: ContinuousClock.Instant) -> (requests: Int, tokens: Int, requestsToday: Int) {
        self.rollDay(at: now)
        let totals = self.minute.totals(at: now)
        return (totals.requests, totals.tokens, self.dayRequests)
    }

    public func isBlocked(at now: ContinuousClock.Instant) -> Bool {
        self.blockedUntil.map { now < $0 } ?? false
    }

    private mutating func rollDay(at now: ContinuousClock.Instant) {
        guard let start = self.dayStart, now - start < .seconds(86_400) else {
            self.dayStart = now
            self.dayRequests = 0
            return
        }
    }
}
