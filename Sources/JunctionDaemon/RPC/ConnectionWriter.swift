import NIOCore
import Synchronization

/// Writes outgoing lines to one client with a bound on what may pile up in memory.
///
/// Bytes count as pending from the moment they are handed over until the kernel has taken them. A client that
/// stops reading lets pending bytes grow; past `limit` it is disconnected, so one stuck client can never make the
/// daemon buffer without bound or delay anyone else (every connection has its own writer and event-loop channel).
///
/// Lines are flushed once per turn of the event loop, not once each: a stream's deltas that are ready together
/// (a libcurl read often holds a whole answer) leave in one `writev` instead of one `write` per line, which
/// saves the daemon a system call per delta and the client a wake-up per delta.
final class ConnectionWriter: Sendable {
    private let channel: Channel
    private let limit: Int
    private let pending = Atomic<Int>(0)
    private let overflowed = Atomic<Bool>(false)
    /// True while a flush is queued on the event loop; lines written until it runs leave with it.
    private let flushQueued = Atomic<Bool>(false)

    init(channel: Channel, limit: Int) {
        self.channel = channel
        self.limit = limit
    }

    /// Bytes handed over but not yet accepted by the kernel.
    var pendingBytes: Int { self.pending.load(ordering: .relaxed) }

    /// True once the connection was closed for exceeding its write buffer.
    var didOverflow: Bool { self.overflowed.load(ordering: .relaxed) }

    /// Queues one complete line (a message and its newline); it is flushed when the event loop has finished
    /// what it is running now (at once, if nothing else is queued).
    func write(_ bytes: [UInt8]) {
        let size = bytes.count
        let total = self.pending.wrappingAdd(size, ordering: .relaxed).newValue
        if total > self.limit {
            self.pending.wrappingSubtract(size, ordering: .relaxed)
            if !self.overflowed.exchange(true, ordering: .relaxed) {
                self.channel.close(promise: nil)
            }
            return
        }
        let buffer = self.channel.allocator.buffer(bytes: bytes)
        let eventLoop = self.channel.eventLoop
        if eventLoop.inEventLoop {
            self.queue(buffer, size: size)
        } else {
            eventLoop.execute { self.queue(buffer, size: size) }
        }
    }

    /// On the event loop: adds the line to the channel's outbound buffer and makes sure a flush follows.
    private func queue(_ buffer: ByteBuffer, size: Int) {
        self.channel.write(buffer).whenComplete { [pending = self] _ in
            pending.pending.wrappingSubtract(size, ordering: .relaxed)
        }
        if !self.flushQueued.exchange(true, ordering: .relaxed) {
            // Runs after the task that is writing now (a request task on this loop) has suspended or ended.
            self.channel.eventLoop.execute {
                self.flushQueued.store(false, ordering: .relaxed)
                self.channel.flush()
            }
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
}
