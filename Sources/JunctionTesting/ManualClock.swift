import JunctionCore
import NIOConcurrencyHelpers

/// A clock that moves only when told to, or when someone sleeps on it: `sleep(until:)` jumps to the deadline at
/// once. Retries, waits and deadlines of the request path are then tested in milliseconds, deterministically,
/// and every wait can be asserted (`sleeps`).
public final class ManualClock: GatewayClock {
    private struct State {
        var offset: Duration = .zero
        var sleeps: [Duration] = []
    }

    public let origin: ContinuousClock.Instant
    private let state = NIOLockedValueBox(State())

    public init(origin: ContinuousClock.Instant = .now) {
        self.origin = origin
    }

    public var now: ContinuousClock.Instant {
        self.origin + self.state.withLockedValue { $0.offset }
    }

    /// Time since the clock was made.
    public var elapsed: Duration { self.state.withLockedValue { $0.offset } }

    /// Every sleep so far, as the time it skipped.
    public var sleeps: [Duration] { self.state.withLockedValue { $0.sleeps } }

    public func advance(by duration: Duration) {
        self.state.withLockedValue { $0.offset += max(duration, .zero) }
    }

    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try Task.checkCancellation()
        self.state.withLockedValue { state in
            let skipped = max(deadline - (self.origin + state.offset), .zero)
            state.sleeps.append(skipped)
            state.offset += skipped
        }
        await Task.yield()
        try Task.checkCancellation()
    }
}
