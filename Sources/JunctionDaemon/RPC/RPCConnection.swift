import JunctionCore
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Why the daemon cancelled a request, which decides what the request answers.
enum CancelReason: Sendable {
    /// The client asked (`cancel`): answer -32005.
    case clientRequest
    /// Shutdown ran out of drain time: answer -32008.
    case shutdown
    /// The client is gone: nothing to answer.
    case disconnected
}

/// One client connection: its identity, its writer and the requests it has in flight.
///
/// Requests run as tasks of their own, registered here so that `cancel`, a disconnect or the end of the drain
/// period can cancel exactly the right ones; the connection's own task waits for all of them before it ends, so
/// no request outlives its connection.
final class RPCConnection: Sendable {
    let peer: PeerCredentials
    let writer: ConnectionWriter
    let maxInflight: Int
    private let state = NIOLockedValueBox(State())

    private struct State {
        var nextKey: UInt64 = 0
        var entries: [UInt64: Entry] = [:]
        /// The reader, parked because `maxInflight` requests are running.
        var slotWaiter: CheckedContinuation<Void, Never>?
        /// Whoever waits for the last request to finish.
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        /// Once set, new requests are refused with -32008.
        var draining = false
    }

    private struct Entry {
        var ids: [RequestID]
        var task: Task<Void, Never>?
        var cancelReason: CancelReason?
    }

    init(peer: PeerCredentials, writer: ConnectionWriter, maxInflight: Int) {
        self.peer = peer
        self.writer = writer
        self.maxInflight = maxInflight
    }

    var inflightCount: Int { self.state.withLockedValue { $0.entries.count } }
    var isDraining: Bool { self.state.withLockedValue { $0.draining } }

    /// Suspends the reader while the connection has `maxInflight` requests running (backpressure: the client's
    /// further requests wait in its socket instead of in the daemon's memory).
    func waitForSlot() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = self.state.withLockedValue { state -> Bool in
                if state.entries.count < self.maxInflight || state.draining { return true }
                state.slotWaiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Starts `work` as a registered request. `ids` are the request ids `cancel` may name.
    func start(ids: [RequestID], _ work: @escaping @Sendable (_ key: UInt64) async -> Void) {
        let key = self.state.withLockedValue { state -> UInt64 in
            let key = state.nextKey
            state.nextKey += 1
            state.entries[key] = Entry(ids: ids, task: nil, cancelReason: nil)
            return key
        }
        let task = Task { await work(key) }
        let cancelNow = self.state.withLockedValue { state -> Bool in
            guard state.entries[key] != nil else { return false }  // already finished
            state.entries[key]?.task = task
            return state.entries[key]?.cancelReason != nil
        }
        if cancelNow { task.cancel() }
    }

    /// Why the request under `key` was cancelled, if it was.
    func cancelReason(for key: UInt64) -> CancelReason? {
        self.state.withLockedValue { $0.entries[key]?.cancelReason }
    }

    /// Unregisters a finished request and wakes whoever waits for a free slot or for idleness.
    func finish(_ key: UInt64) {
        let (slotWaiter, idleWaiters) = self.state.withLockedValue {
            state -> (CheckedContinuation<Void, Never>?, [CheckedContinuation<Void, Never>]) in
            state.entries[key] = nil
            var slotWaiter: CheckedContinuation<Void, Never>?
            if state.entries.count < self.maxInflight {
                slotWaiter = state.slotWaiter
                state.slotWaiter = nil
            }
            var idleWaiters: [CheckedContinuation<Void, Never>] = []
            if state.entries.isEmpty {
                idleWaiters = state.idleWaiters
                state.idleWaiters = []
            }
            return (slotWaiter, idleWaiters)
        }
        slotWaiter?.resume()
        for waiter in idleWaiters { waiter.resume() }
    }

    /// Cancels the in-flight requests with this id; returns how many there were.
    func cancel(id: RequestID) -> Int {
        let tasks = self.state.withLockedValue { state -> [Task<Void, Never>?] in
            var tasks: [Task<Void, Never>?] = []
            for (key, entry) in state.entries where entry.ids.contains(id) && entry.cancelReason == nil {
                state.entries[key]?.cancelReason = .clientRequest
                tasks.append(entry.task)
            }
            return tasks
        }
        for task in tasks { task?.cancel() }
        return tasks.count
    }

    /// Cancels every in-flight request.
    func cancelAll(_ reason: CancelReason) {
        let tasks = self.state.withLockedValue { state -> [Task<Void, Never>?] in
            var tasks: [Task<Void, Never>?] = []
            for (key, entry) in state.entries where entry.cancelReason == nil {
                state.entries[key]?.cancelReason = reason
                tasks.append(entry.task)
            }
            return tasks
        }
        for task in tasks { task?.cancel() }
    }

    /// Refuses new requests from now on and releases a reader parked on a slot.
    func beginDraining() {
        let waiter = self.state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            state.draining = true
            defer { state.slotWaiter = nil }
            return state.slotWaiter
        }
        waiter?.resume()
    }

    /// Returns once no request is in flight.
    func waitUntilIdle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = self.state.withLockedValue { state -> Bool in
                if state.entries.isEmpty { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    /// Sends a notification (a message without id) to this client.
    func notify(method: String, params: JSONValue) {
        self.writer.write(RPCEncoder.line(RPCEncoder.notification(method: method, params: params)))
    }
}
