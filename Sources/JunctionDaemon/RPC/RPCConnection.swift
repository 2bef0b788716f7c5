import JunctionCore
import JunctionRPC
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
///
/// At most `maxInflight` requests run at once. Up to as many more wait here for a run slot (registered, so
/// `cancel` can reach them); beyond that the reader stops reading and further requests wait in the socket, which
/// bounds the daemon's memory per connection however fast a client pipelines.
final class RPCConnection: Sendable {
    let peer: PeerCredentials
    let writer: ConnectionWriter
    let maxInflight: Int
    /// Where this connection's request tasks run: the event loop of its channel.
    let executor: EventLoopTaskExecutor
    private let state = NIOLockedValueBox(State())

    private struct State {
        var nextKey: UInt64 = 0
        /// Every registered request: running or waiting for a run slot.
        var entries: [UInt64: Entry] = [:]
        var running = 0
        /// Requests waiting for a run slot, first come first served.
        var runQueue: [(key: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
        /// The reader, parked because the connection holds as many requests as it may.
        var readerWaiter: CheckedContinuation<Void, Never>?
        /// Whoever waits for the last request to finish.
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        /// Once set, new requests are refused with -32008.
        var draining = false
        /// Once set, the client is gone: nothing more is started, read or answered.
        var closed = false
    }

    private struct Entry {
        var ids: [RequestID]
        var task: Task<Void, Never>?
        var cancelReason: CancelReason?
        var holdsRunSlot = false
    }

    init(peer: PeerCredentials, writer: ConnectionWriter, maxInflight: Int, executor: EventLoopTaskExecutor) {
        self.peer = peer
        self.writer = writer
        self.maxInflight = maxInflight
        self.executor = executor
    }

    /// Requests registered on this connection (running or queued for a run slot).
    var inflightCount: Int { self.state.withLockedValue { $0.entries.count } }
    var isDraining: Bool { self.state.withLockedValue { $0.draining } }
    /// True once the client has gone away (`connectionClosed()`).
    var isClosed: Bool { self.state.withLockedValue { $0.closed } }

    /// Registered requests beyond which the reader stops reading.
    private var registrationLimit: Int { self.maxInflight * 2 }

    /// Suspends the reader while the connection holds all the requests it may (backpressure: the client's
    /// further requests wait in its socket instead of in the daemon's memory).
    func waitForRoom() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = self.state.withLockedValue { state -> Bool in
                if state.entries.count < self.registrationLimit || state.draining || state.closed { return true }
                state.readerWaiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Registers `work` as a request and starts it once a run slot is free. `ids` are the request ids `cancel`
    /// may name. If the request is cancelled while it waits for a slot, `work` still runs, already cancelled,
    /// so that it answers as a cancelled request does. Once the client is gone, nothing is registered and `work`
    /// never runs.
    func start(ids: [RequestID], _ work: @escaping @Sendable (_ key: UInt64) async -> Void) {
        let registered = self.state.withLockedValue { state -> UInt64? in
            guard !state.closed else { return nil }
            let key = state.nextKey
            state.nextKey += 1
            state.entries[key] = Entry(ids: ids)
            return key
        }
        guard let key = registered else { return }
        let task = Task(executorPreference: self.executor) {
            await self.acquireRunSlot(key)
            await work(key)
            self.finish(key)
        }
        let cancelNow = self.state.withLockedValue { state -> Bool in
            guard state.entries[key] != nil else { return false }  // already finished
            state.entries[key]?.task = task
            return state.entries[key]?.cancelReason != nil
        }
        if cancelNow { task.cancel() }
    }

    private func acquireRunSlot(_ key: UInt64) async {
        await withTaskCancellationHandler {
            _ = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let granted = self.state.withLockedValue { state -> Bool in
                    if state.running < self.maxInflight || state.entries[key]?.cancelReason != nil {
                        if state.entries[key]?.cancelReason == nil {
                            state.running += 1
                            state.entries[key]?.holdsRunSlot = true
                        }
                        return true
                    }
                    state.runQueue.append((key, continuation))
                    return false
                }
                if granted { continuation.resume(returning: true) }
            }
        } onCancel: {
            // Leave the queue at once: a cancelled request does not wait for a slot it will not use.
            let waiter = self.state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
                guard let index = state.runQueue.firstIndex(where: { $0.key == key }) else { return nil }
                return state.runQueue.remove(at: index).continuation
            }
            waiter?.resume(returning: false)
        }
    }

    /// Why the request under `key` was cancelled, if it was.
    func cancelReason(for key: UInt64) -> CancelReason? {
        self.state.withLockedValue { $0.entries[key]?.cancelReason }
    }

    /// Unregisters a finished request, hands its run slot on, and wakes the reader or whoever waits for
    /// idleness.
    private func finish(_ key: UInt64) {
        let (next, reader, idleWaiters) = self.state.withLockedValue {
            state -> (CheckedContinuation<Bool, Never>?, CheckedContinuation<Void, Never>?, [CheckedContinuation<Void, Never>]) in
            let entry = state.entries.removeValue(forKey: key)
            var next: CheckedContinuation<Bool, Never>?
            if entry?.holdsRunSlot == true {
                state.running -= 1
                if !state.runQueue.isEmpty {
                    let (nextKey, continuation) = state.runQueue.removeFirst()
                    state.running += 1
                    state.entries[nextKey]?.holdsRunSlot = true
                    next = continuation
                }
            }
            var reader: CheckedContinuation<Void, Never>?
            if state.entries.count < self.registrationLimit {
                reader = state.readerWaiter
                state.readerWaiter = nil
            }
            var idleWaiters: [CheckedContinuation<Void, Never>] = []
            if state.entries.isEmpty {
                idleWaiters = state.idleWaiters
                state.idleWaiters = []
            }
            return (next, reader, idleWaiters)
        }
        next?.resume(returning: true)
        reader?.resume()
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

    /// The client is gone: cancels everything registered (queued requests never start), starts nothing more, and
    /// releases a parked reader so that it stops.
    func connectionClosed() {
        let waiter = self.state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            state.closed = true
            defer { state.readerWaiter = nil }
            return state.readerWaiter
        }
        self.cancelAll(.disconnected)
        waiter?.resume()
    }

    /// Refuses new requests from now on and releases a parked reader (it answers what it reads with -32008).
    func beginDraining() {
        let waiter = self.state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            state.draining = true
            defer { state.readerWaiter = nil }
            return state.readerWaiter
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
