/// The last 15 minutes of each provider's traffic in 10-second buckets, for the dashboard's charts: requests,
/// failures, cost and a coarse latency histogram per bucket. A ring per provider: memory is fixed whatever the
/// traffic. Time is Unix milliseconds passed in by the caller.
public struct StatsHistory: Sendable {
    public static let intervalMs: Int64 = 10_000
    public static let points = 90

    /// One bucket's sums.
    public struct Bucket: Sendable, Equatable {
        public var requests = 0
        public var errors = 0
        public var costMicroUSD = 0
        public var latency = LatencyHistogram()
    }

    /// A provider's charted values, oldest first, `points` of each.
    public struct Series: Sendable, Equatable {
        /// Wall clock of the first point's bucket start.
        public var startMs: Int64
        public var requestsPerSecond: [Double]
        public var p95LatencyMs: [Int?]
        public var errorRate: [Double]
        public var costMicroUSD: [Int]
    }

    private struct Ring: Sendable {
        /// Which interval (ms / intervalMs) each slot holds; a slot holding an older one counts as empty.
        var intervals = [Int64](repeating: -1, count: StatsHistory.points)
        var buckets = [Bucket](repeating: Bucket(), count: StatsHistory.points)
    }

    private var rings: [String: Ring] = [:]

    public init() {}

    /// One finished request of `provider` at `atMs`.
    public mutating func record(
        provider: String, atMs: Int64, failed: Bool, latencyMs: Int?, costMicroUSD: Int
    ) {
        let interval = atMs / Self.intervalMs
        let slot = Int(interval % Int64(Self.points))
        var ring = self.rings[provider] ?? Ring()
        if ring.intervals[slot] != interval {
            ring.intervals[slot] = interval
            ring.buckets[slot] = Bucket()
        }
        ring.buckets[slot].requests += 1
        if failed { ring.buckets[slot].errors += 1 }
        ring.buckets[slot].costMicroUSD += costMicroUSD
        if let latencyMs { ring.buckets[slot].latency.record(milliseconds: latencyMs) }
        self.rings[provider] = ring
    }

    /// The buckets of the last `points` intervals up to `nowMs` (the last one partial), oldest first.
    public func buckets(provider: String, nowMs: Int64) -> [Bucket] {
        let last = nowMs / Self.intervalMs
        let first = last - Int64(Self.points) + 1
        guard let ring = self.rings[provider] else { return Array(repeating: Bucket(), count: Self.points) }
        return (first...last).map { interval in
            let slot = Int(((interval % Int64(Self.points)) + Int64(Self.points)) % Int64(Self.points))
            return ring.intervals[slot] == interval ? ring.buckets[slot] : Bucket()
        }
    }

    /// The charted values of `provider` (zeros for one never seen).
    public func series(provider: String, nowMs: Int64) -> Series {
        let buckets = self.buckets(provider: provider, nowMs: nowMs)
        let seconds = Double(Self.intervalMs) / 1000
        return Series(
            startMs: (nowMs / Self.intervalMs - Int64(Self.points) + 1) * Self.intervalMs,
            requestsPerSecond: buckets.map { Double($0.requests) / seconds },
            p95LatencyMs: buckets.map { $0.latency.percentile(95) },
            errorRate: buckets.map { $0.requests == 0 ? 0 : Double($0.errors) / Double($0.requests) },
            costMicroUSD: buckets.map(\.costMicroUSD)
        )
    }

    /// Requests of every provider in the last `seconds` (whole buckets, the current partial one included).
    public func requests(lastSeconds seconds: Int, nowMs: Int64) -> Int {
        let count = max(1, min(Self.points, seconds * 1000 / Int(Self.intervalMs)))
        return self.rings.keys.reduce(0) { sum, provider in
            sum + self.buckets(provider: provider, nowMs: nowMs).suffix(count).reduce(0) { $0 + $1.requests }
        }
    }
}

/// A coarse latency histogram (fixed bounds from 25 ms to 2 min): enough for a chart's p95, in a few bytes.
public struct LatencyHistogram: Sendable, Equatable {
    /// Upper bounds in milliseconds; the last bucket holds everything above the last bound.
    public static let bounds: [Int] = [
        25, 50, 100, 200, 350, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 7_500, 10_000, 15_000, 30_000, 60_000,
        120_000,
    ]

    private var counts = [Int32](repeating: 0, count: LatencyHistogram.bounds.count + 1)
    public private(set) var total = 0

    public init() {}

    public mutating func record(milliseconds: Int) {
        let index = Self.bounds.firstIndex { milliseconds <= $0 } ?? Self.bounds.count
        self.counts[index] += 1
        self.total += 1
    }

    /// The upper bound of the bucket holding the `percentile`th sample (the last bound for the overflow bucket);
    /// nil without samples.
    public func percentile(_ percentile: Double) -> Int? {
        guard self.total > 0 else { return nil }
        let rank = max(1, Int((percentile / 100 * Double(self.total)).rounded(.up)))
        var seen = 0
        for (index, count) in self.counts.enumerated() {
            seen += Int(count)
            if seen >= rank { return Self.bounds[min(index, Self.bounds.count - 1)] }
        }
        return Self.bounds.last
    }
}
