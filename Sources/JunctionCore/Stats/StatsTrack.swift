/// One key's counts: totals since start and the last 15 minutes.
public struct StatsTrack: Sendable, Equatable {
    public private(set) var requestsTotal = 0
    public private(set) var errorsTotal = 0
    public private(set) var ring = StatsRing()

    public init() {}

    public mutating func record(_ sample: StatsSample, at unixMilliseconds: Int64) {
        self.requestsTotal += 1
        if sample.failed { self.errorsTotal += 1 }
        self.ring.record(sample, at: unixMilliseconds)
    }
}
