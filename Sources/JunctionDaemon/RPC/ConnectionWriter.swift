import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// Writes outgoing lines to one client with a bound on what may pile up in memory.
///
/// Bytes count as pending from the moment they are handed over until the kernel has taken them. Three rules keep
/// a slow client from costing memory without disconnecting one that reads at full speed:
/// - **Backpressure.** Past half of `limit` pending, the connection's reader stops reading requests
///   (`waitForRoom()`), and resumes once the client has taken all but a quarter of `limit`. Answers of requests
///   already running still go out: a burst of them may pass `limit` while the client keeps reading.
/// - **Stall.** A client that takes none of its pending output for `stallTimeout`, while its reader is held back,
///   is disconnected.
/// - **Hard bound.** Past `hardLimitFactor` × `limit` pending, the client is disconnected at once, however fast
///   it reads: what requests already running can still produce is bounded by this.
///
/// Every connection has its own writer and event-loop channel, so one stuck client never delays anyone else.
///
/// Lines are flushed once per turn of the event loop, not once each: a stream's deltas that are ready together
/// (a libcurl read often holds a whole answer) leave in one `writev` instead of one `write` per line, which
/// saves the daemon a system call per delta and the client a wake-up per delta.
final class ConnectionWriter: Sendable {
    /// How many times `limit` may be pending, at most, before the client is disconnected without waiting.
    static let hardLimitFactor = 8

    private let channel: Channel
    private let limit: Int
    private let stallTimeout: TimeAmount
    private let pending = Atomic<Int>(0)
    private let overflowed = Atomic<Bool>(false)
    /// True while a flush is queued on the event loop; lines written until it runs leave with it.
    private let flushQueued = Atomic<Bool>(false)
    /// When the kernel last took a write (nanoseconds of the uptime clock).
    private let lastProgress = Atomic<UInt64>(0)
    /// True while the stall check is scheduled.
    private let stallCheckArmed = Atomic<Bool>(false)
    /// True while the reader waits in `waitForRoom()`: completions look at the lock only then.
    private let readerWaiting = Atomic<Bool>(false)
    private let readerWaiter = NIOLockedValueBox<CheckedContinuation<Void, Never>?>(nil)

    init(channel: Channel, limit: Int, stallTimeout: Duration = .seconds(10)) {
        self.channel = channel
        self.limit = limit
        self.stallTimeout = .nanoseconds(
            stallTimeout.components.seconds * 1_000_000_000 + stallTimeout.components.attoseconds / 1_000_000_000
        )
        self.lastProgress.store(Self.now(), ordering: .relaxed)
        channel.closeFuture.whenComplete { _ in self.wakeReader() }
    }

    /// Bytes handed over but not yet accepted by the kernel.
    var pendingBytes: Int { self.pending.load(ordering: .relaxed) }

    /// True once the connection was closed for a client that stopped reading its output.
    var didOverflow: Bool { self.overflowed.load(ordering: .relaxed) }

    /// Above this, the reader is held back.
    private var pauseLevel: Int { self.limit / 2 }
    /// At or below this, a held-back reader goes on.
    private var resumeLevel: Int { self.limit / 4 }

    /// Queues one complete line (a message and its newline); it is flushed when the event loop has finished
    /// what it is running now (at once, if nothing else is queued).
    func write(_ bytes: [UInt8]) {
        let size = bytes.count
        let total = self.pending.wrappingAdd(size, ordering: .relaxed).newValue
        if total > self.limit * Self.hardLimitFactor {
            self.pending.wrappingSubtract(size, ordering: .relaxed)
            self.disconnect()
            return
        }
        if total > self.pauseLevel, !self.stallCheckArmed.exchange(true, ordering: .relaxed) {
            self.scheduleStallCheck(after: self.stallTimeout)
        }
        let buffer = self.channel.allocator.buffer(bytes: bytes)
        let eventLoop = self.channel.eventLoop
        if eventLoop.inEventLoop {
            self.queue(buffer, size: size)
        } else {
            eventLoop.execute { self.queue(buffer, size: size) }
        }
    }

    /// Returns at once while the client keeps up; otherwise once it has taken most of its pending output, or the
    /// connection closed. The reader calls this before it reads the next request.
    func waitForRoom() async {
        guard self.pending.load(ordering: .relaxed) > self.pauseLevel, self.channel.isActive else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            self.readerWaiter.withLockedValue { $0 = continuation }
            self.readerWaiting.store(true, ordering: .sequentiallyConsistent)
            // The output may have drained (or the channel closed) between the check and the registration.
            if self.pending.load(ordering: .sequentiallyConsistent) <= self.resumeLevel || !self.channel.isActive {
                self.wakeReader()
            }
        }
    }

    /// On the event loop: adds the line to the channel's outbound buffer and makes sure a flush follows.
    private func queue(_ buffer: ByteBuffer, size: Int) {
        self.channel.write(buffer).whenComplete { [writer = self] result in
            let left = writer.pending.wrappingSubtract(size, ordering: .sequentiallyConsistent).newValue
            if case .success = result { writer.lastProgress.store(Self.now(), ordering: .relaxed) }
            if left <= writer.resumeLevel, writer.readerWaiting.load(ordering: .sequentiallyConsistent) {
                writer.wakeReader()
            }
        }
        if !self.flushQueued.exchange(true, ordering: .relaxed) {
            // Runs after the task that is writing now (a request task on this loop) has suspended or ended.
            self.channel.eventLoop.execute {
                self.flushQueued.store(false, ordering: .relaxed)
                self.channel.flush()
            }
        }
    }

    private func wakeReader() {
        self.readerWaiting.store(false, ordering: .sequentiallyConsistent)
        let waiter = self.readerWaiter.withLockedValue { waiter in
            defer { waiter = nil }
            return waiter
        }
        waiter?.resume()
    }

    /// Disconnects the client if it took nothing for `stallTimeout` while output was backed up; otherwise looks
    /// again when that would next be the case, or stands down once the output has drained.
    private func scheduleStallCheck(after delay: TimeAmount) {
        self.channel.eventLoop.scheduleTask(in: max(delay, .milliseconds(1))) {
            guard self.channel.isActive else { return }
            guard self.pending.load(ordering: .relaxed) > self.resumeLevel else {
                self.stallCheckArmed.store(false, ordering: .relaxed)
                // A write may have crossed the pause level again after the load; it found the check armed.
                if self.pending.load(ordering: .relaxed) > self.pauseLevel,
                    !self.stallCheckArmed.exchange(true, ordering: .relaxed)
                {
                    self.scheduleStallCheck(after: self.stallTimeout)
                }
                return
            }
            let idle = Int64(bitPattern: Self.now() &- self.lastProgress.load(ordering: .relaxed))
            if idle >= self.stallTimeout.nanoseconds {
                self.disconnect()
            } else {
                self.scheduleStallCheck(after: .nanoseconds(self.stallTimeout.nanoseconds - idle))
            }
        }
    }

    private func disconnect() {
        if !self.overflowed.exchange(true, ordering: .relaxed) {
            self.channel.close(promise: nil)
        }
    }

    /// Completes when everything written so far has reached the kernel (or failed), or the channel closed.
    func flushed() async {
        let promise = self.channel.eventLoop.makePromise(of: Void.self)
        // An empty write queued after the others completes after them: NIO keeps writes in order (off the loop,
        // this one queues behind the lines' own hops), and its flush takes any line still waiting for a flush.
        self.channel.writeAndFlush(self.channel.allocator.buffer(capacity: 0), promise: promise)
        try? await promise.futureResult.get()
    }

    private static func now() -> UInt64 {
        NIODeadline.now().uptimeNanoseconds
    }
}
