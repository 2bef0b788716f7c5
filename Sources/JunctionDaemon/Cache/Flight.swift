import JunctionCore
import NIOConcurrencyHelpers

/// One upstream call that several identical requests wait on. The leader's attempts run in a task of their own, so
/// that no single caller's cancellation stops a call others still wait for: each waiter that leaves only detaches,
/// and the call is cancelled when the last one has left. Events are kept and fanned out under one lock, so that a
/// streamed joiner receives every delta produced so far, then the live ones, in order.
final class Flight: Sendable {
    private struct Waiter {
        var events: GenerateEventSink?
        var continuation: CheckedContinuation<GenerateResult, any Error>?
        /// The waiter left before the answer: it is resumed with a cancellation at once, and forgotten.
        var left = false
    }

    private struct State {
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
        /// Every event so far, for joiners that arrive mid-stream.
        var events: [GenerateEvent] = []
        var result: Result<GenerateResult, any Error>?
        var task: Task<Void, Never>?
        /// Everyone left before the task was handed over: it is cancelled as soon as it is.
        var abandoned = false
    }

    private let state = NIOLockedValueBox(State())
    /// Everyone left: the call is being cancelled, and no one may join it any more.
    var isAbandoned: Bool { self.state.withLockedValue { $0.abandoned } }

    /// Adds a waiter whose events go to `events` (the ones so far first); returns its number for `wait`.
    func join(events: GenerateEventSink?) -> Int {
        self.state.withLockedValue { state in
            let number = state.nextWaiter
            state.nextWaiter += 1
            if let events { for event in state.events { events(event) } }
            state.waiters[number] = Waiter(events: events)
            return number
        }
    }

    /// Hands over the task that runs the upstream call (cancelled when every waiter has left).
    func run(_ task: Task<Void, Never>) {
        let cancel = self.state.withLockedValue { state in
            state.task = task
            return state.abandoned
        }
        if cancel { task.cancel() }
    }

    /// An event of the upstream call, for every waiter.
    func emit(_ event: GenerateEvent) {
        self.state.withLockedValue { state in
            state.events.append(event)
            for waiter in state.waiters.values { waiter.events?(event) }
        }
    }

    /// The call's end: every waiter is answered with `result`.
    func finish(_ result: Result<GenerateResult, any Error>) {
        let continuations = self.state.withLockedValue { state in
            state.result = result
            state.events = []
            let continuations = state.waiters.values.compactMap(\.continuation)
            state.waiters = [:]
            return continuations
        }
        for continuation in continuations { continuation.resume(with: result) }
    }

    /// The leader's answer, for waiter `number`; throws the leader's failure, or `CancellationError` when this
    /// waiter's own task is cancelled (which only detaches it).
    func wait(_ number: Int) async throws -> GenerateResult {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<GenerateResult, any Error>) in
                let ready: Result<GenerateResult, any Error>? = self.state.withLockedValue { state in
                    if let result = state.result { return result }
                    guard state.waiters[number]?.left == false else { return .failure(CancellationError()) }
                    state.waiters[number]?.continuation = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            self.leave(number)
        }
    }

    /// Waiter `number` left: it is resumed with a cancellation; the call is cancelled when nobody waits any more.
    private func leave(_ number: Int) {
        let (continuation, task) = self.state.withLockedValue {
            state -> (CheckedContinuation<GenerateResult, any Error>?, Task<Void, Never>?) in
            guard state.result == nil, let waiter = state.waiters[number], !waiter.left else { return (nil, nil) }
            if waiter.continuation != nil {
                state.waiters[number] = nil
            } else {
                // Cancelled before it began waiting: `wait` sees the mark and returns at once.
                state.waiters[number] = Waiter(events: nil, continuation: nil, left: true)
            }
            guard !state.waiters.values.contains(where: { !$0.left }) else { return (waiter.continuation, nil) }
            state.abandoned = true
            return (waiter.continuation, state.task)
        }
        continuation?.resume(throwing: CancellationError())
        task?.cancel()
    }
}

/// The flights in progress, by cache key and stream flag (a streamed and an unstreamed request never share one:
/// they differ in what the caller receives while it runs).
final class Flights: Sendable {
    struct Key: Hashable, Sendable {
        var cacheKey: CacheKey
        var stream: Bool
    }

    enum Entry {
        /// No identical request is in flight: this one runs the call (and must `run` and `finish` the flight).
        case lead(Flight)
        /// An identical request is in flight: join it and wait (as long as the leader's deadline allows).
        case join(Flight)
    }

    private let flights = NIOLockedValueBox<[Key: Flight]>([:])

    /// The caller joins (`Flight.join`) outside this lock: replaying a stream's deltas holds only the flight's.
    func enter(_ key: Key) -> Entry {
        self.flights.withLockedValue { flights in
            if let flight = flights[key], !flight.isAbandoned { return .join(flight) }
            let flight = Flight()
            flights[key] = flight
            return .lead(flight)
        }
    }

    /// The flight's call has ended: later requests start their own (or hit the stored answer).
    func remove(_ key: Key, _ flight: Flight) {
        self.flights.withLockedValue { flights in
            if flights[key] === flight { flights[key] = nil }
        }
    }

    var count: Int { self.flights.withLockedValue { $0.count } }
}
