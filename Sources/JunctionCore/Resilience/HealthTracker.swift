/// Passive and active health of one target: latency percentiles over recent requests, a latency EWMA for
/// routing, the error rate over a rolling window, and the last probe. Pure; time passed in.
public struct HealthTracker: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable {
        case healthy = "HEALTHY"
        case degraded = "DEGRADED"
        case unhealthy = "UNHEALTHY"
        case rateLimited = "RATE_LIMITED"
        case disabled = "DISABLED"
        /// Fewer outcomes than `minimumSample` in the window and no other signal: nothing to judge by.
        case noData = "NO_DATA"
    }

    /// Outcomes in the rolling minute below which the error-rate and latency rules do not judge.
    public static let minimumSample = 5

    /// Latencies kept for percentiles: a ring of the most recent, fixed size.
    public static let sampleCapacity = 256
    private var samples: [Int64] = []
    private var nextSample = 0
    /// Milliseconds; nil until the first sample.
    public private(set) var latencyEWMA: Double?
    private var outcomes = RollingCounter(window: .seconds(60))
    public private(set) var lastError: String?
    public private(set) var lastErrorAt: ContinuousClock.Instant?
    public private(set) var lastProbe: (ok: Bool, at: ContinuousClock.Instant, latency: Duration, detail: String)?
    public private(set) var consecutiveProbeFailures = 0
    /// p95 of the samples, recomputed every 16 samples: status checks run on every request and must not sort.
    private var cachedP95: Int64?
    private var samplesSinceP95 = 0

    public init() {}

    public static func == (lhs: HealthTracker, rhs: HealthTracker) -> Bool {
        lhs.samples == rhs.samples && lhs.latencyEWMA == rhs.latencyEWMA && lhs.lastError == rhs.lastError
            && lhs.consecutiveProbeFailures == rhs.consecutiveProbeFailures
    }

    /// A request got its response headers (or first token) after `latency`.
    public mutating func recordSuccess(latency: Duration, at now: ContinuousClock.Instant) {
        self.outcomes.record(at: now) { $0.successes += 1 }
        let milliseconds = latency.milliseconds
        if self.samples.count < Self.sampleCapacity {
            self.samples.append(milliseconds)
        } else {
            self.samples[self.nextSample] = milliseconds
        }
        self.nextSample = (self.nextSample + 1) % Self.sampleCapacity
        self.samplesSinceP95 += 1
        if self.cachedP95 == nil || self.samplesSinceP95 >= 16 {
            self.cachedP95 = self.latency(percentile: 95)
            self.samplesSinceP95 = 0
        }
        let value = Double(milliseconds)
        self.latencyEWMA = self.latencyEWMA.map { 0.8 * $0 + 0.2 * value } ?? value
    }

    public mutating func recordFailure(_ message: String, at now: ContinuousClock.Instant) {
        self.outcomes.record(at: now) { $0.failures += 1 }
        self.lastError = message
        self.lastErrorAt = now
    }

    public mutating func recordProbe(ok: Bool, latency: Duration, detail: String, at now: ContinuousClock.Instant) {
        self.lastProbe = (ok, now, latency, detail)
        self.consecutiveProbeFailures = ok ? 0 : self.consecutiveProbeFailures + 1
        if ok { self.recordSuccess(latency: latency, at: now) }
    }

    /// The latency (ms) at `percentile` (0–100) of the recent samples.
    public func latency(percentile: Double) -> Int64? {
        guard !self.samples.isEmpty else { return nil }
        let sorted = self.samples.sorted()
        let index = min(sorted.count - 1, Int((percentile / 100 * Double(sorted.count)).rounded(.up)) - 1)
        return sorted[max(0, index)]
    }

    /// Failures / requests over the window, with the request count.
    public mutating func errorRate(at now: ContinuousClock.Instant) -> (rate: Double, requests: Int) {
        let totals = self.outcomes.totals(at: now)
        let count = totals.successes + totals.failures
        return (count == 0 ? 0 : Double(totals.failures) / Double(count), count)
    }

    /// The status, given what the shell knows besides latency and errors.
    public mutating func status(
        at now: ContinuousClock.Instant,
        disabled: Bool,
        breakerOpen: Bool,
        authFailed: Bool,
        rateLimited: Bool,
        slowThreshold: Duration
    ) -> (Status, String) {
        if disabled { return (.disabled, "disabled") }
        if authFailed { return (.unhealthy, "authentication failed") }
        if breakerOpen { return (.unhealthy, "circuit breaker open") }
        if self.consecutiveProbeFailures >= 2 { return (.unhealthy, "health probes failing") }
        if rateLimited { return (.rateLimited, "rate limited") }
        let (rate, requests) = self.errorRate(at: now)
        if requests < Self.minimumSample {
            if let probe = self.lastProbe, probe.ok, now - probe.at < .seconds(300) { return (.healthy, "last probe ok") }
            return (.noData, "no data: \(requests) of \(Self.minimumSample) requests needed in the last minute")
        }
        if rate > 0.10 { return (.degraded, "error rate \(Int(rate * 100)) %") }
        if let p95 = self.cachedP95, p95 > slowThreshold.milliseconds {
            return (.degraded, "p95 latency \(p95) ms over \(slowThreshold.milliseconds) ms")
        }
        return (.healthy, "ok")
    }
}
