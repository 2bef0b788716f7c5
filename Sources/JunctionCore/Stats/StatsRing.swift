/// The last 15 minutes of one key (a provider, a target or the whole daemon) in 90 buckets of 10 seconds, aligned
/// on the wall clock. Slots are reused lazily: a sample finds its slot by its bucket index and clears what an older
/// lap left there, and a read treats slots of other laps as empty. No timer, no clock: every call takes the time.
public struct StatsRing: Sendable, Equatable {
    public static let intervalMilliseconds: Int64 = 10_000
    public static let points = 90

    private var slots: [StatsBucket] = []

    public init() {}

    /// The index of the bucket holding a moment (Unix ms).
    public static func index(at unixMilliseconds: Int64) -> Int64 {
        let (quotient, remainder) = unixMilliseconds.quotientAndRemainder(dividingBy: Self.intervalMilliseconds)
        return remainder < 0 ? quotient - 1 : quotient
    }

    /// Counts `sample` in the bucket of `unixMilliseconds`. Samples older than the slot's current lap (the wall clock
    /// stepped back, or a request that ran for more than 15 minutes) are not counted in the series.
    public mutating func record(_ sample: StatsSample, at unixMilliseconds: Int64) {
        if self.slots.isEmpty {
            self.slots = (0..<Self.points).map { _ in StatsBucket(index: .min) }
        }
        let index = Self.index(at: unixMilliseconds)
        let slot = Int(((index % Int64(Self.points)) + Int64(Self.points)) % Int64(Self.points))
        if self.slots[slot].index < index {
            self.slots[slot] = StatsBucket(index: index)
        } else if self.slots[slot].index > index {
            return
        }
        self.slots[slot].requests += 1
        if sample.failed { self.slots[slot].errors += 1 }
        self.slots[slot].costMicroUSD += sample.costMicroUSD
        if let latency = sample.latencyMilliseconds { self.slots[slot].latency.record(milliseconds: latency) }
    }

    /// The bucket with index `index`, empty when the ring holds nothing for it.
    public func bucket(_ index: Int64) -> StatsBucket {
        guard !self.slots.isEmpty else { return StatsBucket(index: index) }
        let slot = Int(((index % Int64(Self.points)) + Int64(Self.points)) % Int64(Self.points))
        return self.slots[slot].index == index ? self.slots[slot] : StatsBucket(index: index)
    }

    /// The 90 buckets ending with the current one (the one holding `unixMilliseconds`, still filling), oldest first.
    public func series(at unixMilliseconds: Int64) -> [StatsBucket] {
        let current = Self.index(at: unixMilliseconds)
        return ((current - Int64(Self.points) + 1)...current).map(self.bucket)
    }

    /// The last `buckets` buckets (the current, partial one included) added together.
    public func window(buckets: Int, at unixMilliseconds: Int64) -> StatsBucket {
        let current = Self.index(at: unixMilliseconds)
        var sum = StatsBucket(index: current)
        let count = Int64(min(max(buckets, 1), Self.points))
        for index in (current - count + 1)...current { sum.add(self.bucket(index)) }
        return sum
    }

    /// How many milliseconds the last `buckets` buckets cover at `unixMilliseconds`: the full ones, plus the part of
    /// the current one that has passed (at least one second, so that a rate is not divided by almost nothing).
    public static func span(buckets: Int, at unixMilliseconds: Int64) -> Int64 {
        let current = Self.index(at: unixMilliseconds)
        let elapsed = max(1_000, unixMilliseconds - current * Self.intervalMilliseconds)
        return Int64(min(max(buckets, 1), Self.points) - 1) * Self.intervalMilliseconds + elapsed
    }
}
