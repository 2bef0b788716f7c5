import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import JunctionDaemon

@Suite("Connection writer")
struct ConnectionWriterTests {
    /// Counts the flushes that reach the socket.
    final class FlushCounter: ChannelOutboundHandler, @unchecked Sendable {
        typealias OutboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        var flushes = 0  // event loop only

        func flush(context: ChannelHandlerContext) {
            self.flushes += 1
            context.flush()
        }
    }

    /// Collects what the peer receives.
    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received = NIOLockedValueBox<[UInt8]>([])

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = Self.unwrapInboundIn(data)
            self.received.withLockedValue { $0 += buffer.readableBytesView }
        }
    }

    /// A connected pair over a Unix socket: the writer's side (with a flush counter) and the peer's collector.
    private func connectedPair(
        in directory: TemporaryDirectory
    ) async throws -> (Channel, FlushCounter, Collector, Channel) {
        let group = MultiThreadedEventLoopGroup.singleton
        let collector = Collector()
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .bind(unixDomainSocketPath: "\(directory.path)/w.sock")
            .get()
        let counter = FlushCounter()
        let client = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(counter) }
            }
            .connect(unixDomainSocketPath: "\(directory.path)/w.sock")
            .get()
        return (client, counter, collector, server)
    }

    private func waitForBytes(_ collector: Collector, count: Int) async throws -> [UInt8] {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let bytes = collector.received.withLockedValue { $0 }
            if bytes.count >= count { return bytes }
            try await Task.sleep(for: .milliseconds(5))
        }
        return collector.received.withLockedValue { $0 }
    }

    /// Lines written in one turn of the event loop (a stream's deltas from one libcurl read) leave in one flush,
    /// not one system call each.
    @Test func linesWrittenInOneTurnShareOneFlush() async throws {
        let directory = try TemporaryDirectory()
        let (client, counter, collector, server) = try await self.connectedPair(in: directory)
        defer {
            client.close(promise: nil)
            server.close(promise: nil)
        }
        let writer = ConnectionWriter(channel: client, limit: 1 << 20)
        let expected = (0..<20).flatMap { Array("line \($0)\n".utf8) }
        try await client.eventLoop.submit {
            for index in 0..<20 { writer.write(Array("line \(index)\n".utf8)) }
        }.get()
        // Queued behind the writer's flush: counts what that turn cost.
        let flushes = try await client.eventLoop.submit { counter.flushes }.get()
        #expect(flushes == 1)
        #expect(try await self.waitForBytes(collector, count: expected.count) == expected)
        // The write's completion may run just after the peer has the bytes: poll it on the loop.
        var pending = try await client.eventLoop.submit { writer.pendingBytes }.get()
        for _ in 0..<200 where pending != 0 {
            try await Task.sleep(for: .milliseconds(10))
            pending = try await client.eventLoop.submit { writer.pendingBytes }.get()
        }
        #expect(pending == 0)
    }

    /// Lines written from other threads arrive complete and in order, and `flushed()` waits for all of them.
    @Test func linesFromOtherThreadsArriveInOrder() async throws {
        let directory = try TemporaryDirectory()
        let (client, _, collector, server) = try await self.connectedPair(in: directory)
        defer {
            client.close(promise: nil)
            server.close(promise: nil)
        }
        let writer = ConnectionWriter(channel: client, limit: 1 << 20)
        let expected = (0..<500).flatMap { Array("line \($0)\n".utf8) }
        for index in 0..<500 { writer.write(Array("line \(index)\n".utf8)) }
        await writer.flushed()
        #expect(writer.pendingBytes == 0)
        #expect(try await self.waitForBytes(collector, count: expected.count) == expected)
    }
}
