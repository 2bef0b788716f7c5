/// What one 10-second bucket counted for one provider, target or the whole daemon.
public struct StatsBucket: Sendable, Equatable {
    /// Which bucket this is: its start in Unix milliseconds divided by the interval. A slot of the ring holding an
    /// older index is stale and reads as empty.
    public var index: Int64
    public var requests = 0
    /// Requests (or attempts) in `requests` that failed.
    public var errors = 0
    public var costMicroUSD: MicroUSD = 0
    /// Latencies of the answered ones.
    public var latency = LatencyHistogram()

    public init(index: Int64) {
        self.index = index
    }

    /// Adds another bucket's counts (of the same or another key) to this one.
    public mutating func add(_ other: StatsBucket) {
        self.requests += other.requests
        self.errors += other.errors
        self.costMicroUSD += other.costMicroUSD
        self.latency.merge(other.latency)
    }

    /// Errors per request, 0 without requests.
    public var errorRate: Double {
        self.requests == 0 ? 0 : Double(self.errors) / Double(self.requests)
    }
}

/// One request (or attempt) as the ring counts it.
public struct StatsSample: Sendable, Equatable {
    public var failed: Bool
    /// Answered ones only: a failure's latency (a timeout, a refused connection) says nothing about speed.
    public var latencyMilliseconds: Int?
    public var costMicroUSD: MicroUSD

    public init(failed: Bool, latencyMilliseconds: Int? = nil, costMicroUSD: MicroUSD = 0) {
        self.failed = failed
        self.latencyMilliseconds = latencyMilliseconds
        self.costMicroUSD = costMicroUSD
    }
}
