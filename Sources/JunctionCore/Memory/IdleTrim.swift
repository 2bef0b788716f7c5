/// When to hand the heap's free memory back to the system: once the daemon has been idle for a while after
/// work, and only when there is enough free heap to be worth it. The allocator keeps what a burst freed (glibc
/// returns little on its own, spread as it is over per-thread arenas); `malloc_trim` returns it, at the cost of
/// a walk over the heap, so it runs once per idle period rather than on a timer. Pure: the shell samples the
/// load and the heap and passes the instant in.
public struct IdleTrim: Sendable, Equatable {
    public struct Configuration: Sendable, Equatable {
        /// Idle this long (no request in flight, none started) before trimming.
        public var idleAfter: Duration
        /// Trim only when at least this much of the heap is free.
        public var minimumFreeBytes: Int

        public init(idleAfter: Duration = .seconds(5), minimumFreeBytes: Int = 4 << 20) {
            self.idleAfter = idleAfter
            self.minimumFreeBytes = minimumFreeBytes
        }
    }

    public let configuration: Configuration
    /// Work was seen since the last trim (or since start).
    private var armed = false
    private var lastBusy: ContinuousClock.Instant?
    /// The free heap right after the last trim: growth past it by `minimumFreeBytes` is work too (a burst that
    /// began and ended between two samples).
    private var freeAfterTrim = 0

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// One sample: whether requests are in flight and how much of the heap is free. True: trim now.
    public mutating func sampled(busy: Bool, freeBytes: Int, at now: ContinuousClock.Instant) -> Bool {
        if busy {
            self.armed = true
            self.lastBusy = now
            return false
        }
        if freeBytes >= self.freeAfterTrim + self.configuration.minimumFreeBytes { self.armed = true }
        guard self.armed, freeBytes >= self.configuration.minimumFreeBytes else { return false }
        if let lastBusy = self.lastBusy, now - lastBusy < self.configuration.idleAfter { return false }
        // Idle (or never busy while sampled): wait a full idle period from the first idle sample.
        if self.lastBusy == nil {
            self.lastBusy = now
            return false
        }
        return true
    }

    /// The trim ran; `freeBytes` is what the heap says is free after it.
    public mutating func trimmed(freeBytes: Int) {
        self.armed = false
        self.freeAfterTrim = freeBytes
        self.lastBusy = nil
    }
}
