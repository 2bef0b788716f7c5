/// The clock the request path reads and sleeps on. The daemon uses `SystemClock`; tests use a manual clock
/// that jumps instead of sleeping, so that retries, waits and deadlines are tested in milliseconds.
public protocol GatewayClock: Sendable {
    var now: ContinuousClock.Instant { get }
    /// Returns at `deadline` (at once if it has passed); throws `CancellationError` when the task is cancelled.
    func sleep(until deadline: ContinuousClock.Instant) async throws
}

/// The real monotonic clock.
public struct SystemClock: GatewayClock {
    public init() {}

    public var now: ContinuousClock.Instant { ContinuousClock.now }

    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await ContinuousClock().sleep(until: deadline, tolerance: nil)
    }
}
