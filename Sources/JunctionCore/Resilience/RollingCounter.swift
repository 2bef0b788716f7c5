/// Counts in time buckets over a rolling window: O(1) per event and fixed memory however heavy the traffic
/// (a ring of buckets, not a list of events). Time is passed in.
public struct RollingCounter: Sendable, Equatable {
    public let window: Duration
    private let bucketWidth: Duration
    private var buckets: [Bucket]
    /// Index of the bucket covering `bucketStart`.
    private var current = 0
    private var bucketStart: ContinuousClock.Instant?

    public struct Bucket: Sendable, Equatable {
        public var successes = 0
        public var failures = 0
        public var requests = 0
        public var tokens = 0
    }

    public init(window: Duration, buckets: Int = 12) {
        self.window = window
        self.bucketWidth = window / buckets
        self.buckets = Array(repeating: Bucket(), count: buckets)
    }

    /// Moves the ring forward to `now`, clearing buckets that fell out of the window.
    private mutating func advance(to now: ContinuousClock.Instant) {
        guard let start = self.bucketStart else {
            self.bucketStart = now
            return
        }
        let elapsed = now - start
        guard elapsed >= self.bucketWidth else { return }
        let steps = Int(elapsed / self.bucketWidth)
        for step in 1...min(steps, self.buckets.count) {
            self.buckets[(self.current + step) % self.buckets.count] = Bucket()
        }
        self.current = (self.current + steps) % self.buckets.count
        self.bucketStart = start + self.bucketWidth * steps
    }

    public mutating func record(at now: ContinuousClock.Instant, _ update: (inout Bucket) -> Void) {
        self.advance(to: now)
        update(&self.buckets[self.current])
    }

    /// The sums over the window ending at `now`.
    public mutating func totals(at now: ContinuousClock.Instant) -> Bucket {
        self.advance(to: now)
        return self.buckets.reduce(into: Bucket()) { total, bucket in
            total.successes += bucket.successes
            total.failures += bucket.failures
            total.requests += bucket.requests
            total.tokens += bucket.tokens
        }
    }

    /// When the oldest counted bucket leaves the window (for "how long until there is room").
    public func oldestExpiry(at now: ContinuousClock.Instant) -> Duration {
        guard let start = self.bucketStart else { return .zero }
        // The oldest bucket is the one after `current`; it expires when the ring moves past it.
        return max(.zero, (start + self.bucketWidth) - now)
    }
}
