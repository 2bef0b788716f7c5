/// Lets a recurring thing through at most once per `interval` and counts what it held back: the log line of a
/// condition that can recur thousands of times a second (every refused connection while file descriptors are
/// short). A value with no clock: each occurrence brings its instant.
public struct OncePerInterval: Sendable, Equatable {
    public let interval: Duration
    private var last: ContinuousClock.Instant?
    private var heldBack = 0

    public init(interval: Duration) {
        self.interval = interval
    }

    /// The thing happened at `now`. Returns nil to stay quiet, or how many occurrences were held back since the
    /// last one let through (to report along with this one).
    public mutating func occurred(at now: ContinuousClock.Instant) -> Int? {
        if let last = self.last, now - last < self.interval {
            self.heldBack += 1
            return nil
        }
        self.last = now
        defer { self.heldBack = 0 }
        return self.heldBack
    }
}
