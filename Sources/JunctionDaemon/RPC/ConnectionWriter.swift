import NIOCore
import Synchronization

/// Writes outgoing lines to one client with a bound on what may pile up in memory.
///
/// Bytes count as pending from the moment they are handed over until the kernel has taken them. A client that
/// stops reading lets pending bytes grow; past `limit` it is disconnected, so one stuck client can never make the
/// daemon buffer without bound or delay anyone else (every connection has its own writer and event-loop channel).
final class ConnectionWriter: Sendable {
    private let channel: Channel
    private let limit: Int
    private let pending = Atomic<Int>(0)
    private let overflowed = Atomic<Bool>(false)

    init(channel: Channel, limit: Int) {
        self.channel = channel
        self.limit = limit
    }

    /// Bytes handed over but not yet accepted by the kernel.
    var pendingBytes: Int { self.pending.load(ordering: .relaxed) }

    /// True once the connection was closed for exceeding its write buffer.
    var didOverflow: Bool { self.overflowed.load(ordering: .relaxed) }

    /// Queues one complete line (a message and its newline) and flushes it.
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
        self.channel.writeAndFlush(buffer).whenComplete { [pending = self] _ in
            pending.pending.wrappingSubtract(size, ordering: .relaxed)
        }
    }

    /// Completes when everything written so far has reached the kernel (or failed), or the channel closed.
    func flushed() async {
        let promise = self.channel.eventLoop.makePromise(of: Void.self)
        // An empty write queued after the others completes after them: NIO keeps writes in order.
        self.channel.writeAndFlush(self.channel.allocator.buffer(capacity: 0), promise: promise)
        try? await promise.futureResult.get()
    }
}
