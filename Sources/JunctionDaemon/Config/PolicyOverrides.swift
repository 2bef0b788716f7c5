import JunctionCore

/// The resilience settings a `[defaults]` or `[providers.NAME]` table may set (`retry`, `breaker`, `limits`,
/// `health` sub-tables and a few keys of their own). Every field is optional: the effective policy of a
/// provider is its kind's defaults, then `[defaults]`, then the provider's own table.
struct PolicyOverrides: Sendable, Equatable {
    // [*.retry]
    var strategy: RetryPolicy.Strategy?
    var maxRetries: Int?
    var initialDelay: Duration?
    var maxDelay: Duration?
    var jitter: RetryPolicy.Jitter?
    var maxWait: Duration?
    // [*.breaker]
    var failureThreshold: Int?
    var failureRate: Double?
    var minRequests: Int?
    var window: Duration?
    var openFor: Duration?
    var maxOpenFor: Duration?
    // [*.limits]
    var rpm: Int?
    var tpm: Int?
    var rpd: Int?
    var maxQueueWait: Duration?
    // [*.health]
    var healthInterval: Duration?
    var probe: HealthPolicy.Probe?
    var probeModel: String?
    var slowThreshold: Duration?
    // keys of the table itself
    var quotaCooldown: Duration?
    var failoverOnContentFilter: Bool?

    /// `self`, with every field `other` sets replaced.
    func overridden(by other: PolicyOverrides) -> PolicyOverrides {
        var result = self
        result.strategy = other.strategy ?? result.strategy
        result.maxRetries = other.maxRetries ?? result.maxRetries
        result.initialDelay = other.initialDelay ?? result.initialDelay
        result.maxDelay = other.maxDelay ?? result.maxDelay
        result.jitter = other.jitter ?? result.jitter
        result.maxWait = other.maxWait ?? result.maxWait
        result.failureThreshold = other.failureThreshold ?? result.failureThreshold
        result.failureRate = other.failureRate ?? result.failureRate
        result.minRequests = other.minRequests ?? result.minRequests
        result.window = other.window ?? result.window
        result.openFor = other.openFor ?? result.openFor
        result.maxOpenFor = other.maxOpenFor ?? result.maxOpenFor
        result.rpm = other.rpm ?? result.rpm
        result.tpm = other.tpm ?? result.tpm
        result.rpd = other.rpd ?? result.rpd
        result.maxQueueWait = other.maxQueueWait ?? result.maxQueueWait
        result.healthInterval = other.healthInterval ?? result.healthInterval
        result.probe = other.probe ?? result.probe
        result.probeModel = other.probeModel ?? result.probeModel
        result.slowThreshold = other.slowThreshold ?? result.slowThreshold
        result.quotaCooldown = other.quotaCooldown ?? result.quotaCooldown
        result.failoverOnContentFilter = other.failoverOnContentFilter ?? result.failoverOnContentFilter
        return result
    }

    /// The effective policy for a provider of `kind`.
    func policy(for kind: ProviderKind) -> ProviderPolicy {
        var retry = RetryPolicy.defaults(for: kind)
        retry.strategy = self.strategy ?? retry.strategy
        retry.maxRetries = self.maxRetries ?? retry.maxRetries
        retry.initialDelay = self.initialDelay ?? retry.initialDelay
        retry.maxDelay = self.maxDelay ?? retry.maxDelay
        retry.jitter = self.jitter ?? retry.jitter
        retry.maxWait = self.maxWait ?? retry.maxWait
        var breaker = CircuitBreaker.Configuration()
        breaker.failureThreshold = self.failureThreshold ?? breaker.failureThreshold
        breaker.failureRate = self.failureRate ?? breaker.failureRate
        breaker.minRequests = self.minRequests ?? breaker.minRequests
        breaker.window = self.window ?? breaker.window
        breaker.openFor = self.openFor ?? breaker.openFor
        breaker.maxOpenFor = self.maxOpenFor ?? breaker.maxOpenFor
        return ProviderPolicy(
            retry: retry,
            breaker: breaker,
            limits: RateWindow.Limits(requestsPerMinute: self.rpm, tokensPerMinute: self.tpm, requestsPerDay: self.rpd),
            maxQueueWait: self.maxQueueWait ?? .seconds(5),
            health: HealthPolicy(
                interval: self.healthInterval ?? .seconds(30),
                probe: self.probe ?? .models,
                probeModel: self.probeModel,
                slowThreshold: self.slowThreshold ?? .seconds(2)
            ),
            quotaCooldown: self.quotaCooldown ?? .seconds(900),
            failoverOnContentFilter: self.failoverOnContentFilter ?? false
        )
    }
}

extension ConfigTable {
    /// Reads the resilience sub-tables and keys of a `[defaults]` or `[providers.NAME]` table.
    func policyOverrides() -> PolicyOverrides {
        var overrides = PolicyOverrides()
        overrides.quotaCooldown = self.duration("quota_cooldown")
        overrides.failoverOnContentFilter = self.bool("failover_on_content_filter")
        if let retry = self.table("retry") {
            if let name = retry.string("strategy") {
                if let strategy = RetryPolicy.Strategy(rawValue: name) {
                    overrides.strategy = strategy
                } else {
                    retry.problem("strategy", "must be exponential, linear, constant or fibonacci")
                }
            }
            overrides.maxRetries = retry.int("max_retries", in: 0...100)
            overrides.initialDelay = retry.duration("initial_delay")
            overrides.maxDelay = retry.duration("max_delay")
            overrides.maxWait = retry.duration("max_wait")
            switch retry.value("jitter") {
            case nil: break
            case .string("full")?: overrides.jitter = .full
            case .double(let fraction)? where (0...1).contains(fraction): overrides.jitter = .fraction(fraction)
            case .int(0)?: overrides.jitter = .fraction(0)
            default: retry.problem("jitter", "must be a fraction between 0 and 1, or \"full\"")
            }
            retry.rejectUnknownKeys(allowed: ["strategy", "max_retries", "initial_delay", "max_delay", "jitter", "max_wait"])
        }
        if let breaker = self.table("breaker") {
            overrides.failureThreshold = breaker.int("failure_threshold", in: 1...1000)
            if let rate = breaker.number("failure_rate", minimum: 0) {
                if rate <= 1 { overrides.failureRate = rate } else { breaker.problem("failure_rate", "must be between 0 and 1") }
            }
            overrides.minRequests = breaker.int("min_requests", in: 1...100_000)
            overrides.window = breaker.duration("window")
            overrides.openFor = breaker.duration("open_for")
            overrides.maxOpenFor = breaker.duration("max_open_for")
            breaker.rejectUnknownKeys(allowed: ["failure_threshold", "failure_rate", "min_requests", "window", "open_for", "max_open_for"])
        }
        if let limits = self.table("limits") {
            overrides.rpm = limits.int("rpm", in: 1...100_000_000)
            overrides.tpm = limits.int("tpm", in: 1...1_000_000_000)
            overrides.rpd = limits.int("rpd", in: 1...1_000_000_000)
            overrides.maxQueueWait = limits.duration("max_queue_wait")
            limits.rejectUnknownKeys(allowed: ["rpm", "tpm", "rpd", "max_queue_wait"])
        }
        if let health = self.table("health") {
            overrides.healthInterval = health.duration("interval")
            if let probe = health.string("probe") {
                if let parsed = HealthPolicy.Probe(rawValue: probe) {
                    overrides.probe = parsed
                } else {
                    health.problem("probe", "must be models or generate")
                }
            }
            overrides.probeModel = health.string("probe_model")
            overrides.slowThreshold = health.duration("slow_threshold")
            health.rejectUnknownKeys(allowed: ["interval", "probe", "probe_model", "slow_threshold"])
        }
        return overrides
    }

    static let policyKeys: Set<String> = ["retry", "breaker", "limits", "health", "quota_cooldown", "failover_on_content_filter"]
}
