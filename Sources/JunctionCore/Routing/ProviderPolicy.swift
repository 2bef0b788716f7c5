/// Everything the resilience layer applies to one provider: retries, breakers, rate limits, health checks.
public struct ProviderPolicy: Sendable, Equatable {
    public var retry: RetryPolicy
    public var breaker: CircuitBreaker.Configuration
    public var limits: RateWindow.Limits
    /// The longest a request waits for room in a rate window before the target is skipped.
    public var maxQueueWait: Duration
    public var health: HealthPolicy
    /// How long a provider that reported exhausted quota is left alone.
    public var quotaCooldown: Duration
    public var failoverOnContentFilter: Bool

    public init(
        retry: RetryPolicy = RetryPolicy(),
        breaker: CircuitBreaker.Configuration = CircuitBreaker.Configuration(),
        limits: RateWindow.Limits = RateWindow.Limits(),
        maxQueueWait: Duration = .seconds(2),
        health: HealthPolicy = HealthPolicy(),
        quotaCooldown: Duration = .seconds(900),
        failoverOnContentFilter: Bool = false
    ) {
        self.retry = retry
        self.breaker = breaker
        self.limits = limits
        self.maxQueueWait = maxQueueWait
        self.health = health
        self.quotaCooldown = quotaCooldown
        self.failoverOnContentFilter = failoverOnContentFilter
    }
}

/// How a provider's health is checked and judged.
public struct HealthPolicy: Sendable, Equatable {
    public enum Probe: String, Sendable, Equatable {
        case models
        case generate
    }

    public var interval: Duration
    public var probe: Probe
    public var probeModel: String?
    public var slowThreshold: Duration
    /// While a target's breaker is open it is probed this often with a 1-token generate.
    public var openProbeInterval: Duration

    public init(
        interval: Duration = .seconds(60),
        probe: Probe = .models,
        probeModel: String? = nil,
        slowThreshold: Duration = .seconds(10),
        openProbeInterval: Duration = .seconds(5)
    ) {
        self.interval = interval
        self.probe = probe
        self.probeModel = probeModel
        self.slowThreshold = slowThreshold
        self.openProbeInterval = openProbeInterval
    }
}
