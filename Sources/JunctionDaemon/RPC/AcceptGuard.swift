#if canImport(Glibc)
import Glibc
#endif
import Foundation
import JunctionRPC
import NIOCore
import NIOPosix

/// Answers the connections waiting to be accepted while the daemon is out of file descriptors, instead of
/// leaving them in the backlog with no word.
///
/// When `accept` fails with EMFILE or ENFILE, SwiftNIO fires the error through the listening channel's pipeline
/// and keeps the channel open; the async bootstrap's `AcceptBackoffHandler` then stops accepting for a second,
/// and tries again, for as long as the shortage lasts: every waiting client hears nothing. This handler sits in
/// front of it and uses the classic reserve descriptor: it keeps one descriptor open for the purpose, and on
/// EMFILE closes it, accepts each waiting connection in turn on the freed number, writes one -32008 line, closes
/// it, and finally re-opens the reserve. The error goes on to the back-off only when the backlog could not be
/// emptied (the freed number was taken meanwhile), so that the loop does not spin. Runs on the listening
/// channel's event loop; `FileDescriptorAlarm` logs the condition.
final class AcceptGuard: ChannelInboundHandler {
    typealias InboundIn = Channel
    typealias InboundOut = Channel

    /// Connections refused in one go, at most: the rest wait for the next readiness of the socket.
    static let maxRefusalsPerError = 1024

    private let source: ListenerSource
    private let alarm: FileDescriptorAlarm?
    private var listenFD: Int32?
    private var reserve: Int32 = -1
    private let refusal: [UInt8]

    init(source: ListenerSource, alarm: FileDescriptorAlarm?) {
        self.source = source
        self.alarm = alarm
        self.refusal = Array(RPCEncoder.line(RPCEncoder.errorResponse(id: .null, error: .outOfFileDescriptors)))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.reserve = Self.openReserve()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if self.reserve >= 0 { close(self.reserve) }
        self.reserve = -1
    }

    func channelActive(context: ChannelHandlerContext) {
        // NIO does not show its descriptor; ours is known when systemd passed it, else found by the bound path.
        switch self.source {
        case .activated(let fd, _): self.listenFD = fd
        case .path(let path): self.listenFD = Self.listeningDescriptor(boundTo: path)
        }
        context.fireChannelActive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let failure = error as? IOError, failure.errnoCode == EMFILE || failure.errnoCode == ENFILE else {
            context.fireErrorCaught(error)
            return
        }
        let refused = self.refuseWaitingConnections()
        self.alarm?.raise(
            .accept, detail: "\(String(cString: strerror(failure.errnoCode))); \(refused.count) connection(s) refused"
        )
        if !refused.emptiedBacklog { context.fireErrorCaught(error) }  // back off: the socket is still readable
    }

    /// Accepts and refuses what waits. `emptiedBacklog`: nothing waits any more.
    private func refuseWaitingConnections() -> (count: Int, emptiedBacklog: Bool) {
        guard let listenFD = self.listenFD else { return (0, false) }
        if self.reserve >= 0 {
            close(self.reserve)
            self.reserve = -1
        }
        defer { self.reserve = Self.openReserve() }
        var count = 0
        while count < Self.maxRefusalsPerError {
            // The listening socket is non-blocking (NIO's): an empty backlog answers EAGAIN. The accepted one
            // lives for two non-blocking calls and is closed, so it needs neither flag of `accept4`.
            let client = accept(listenFD, nil, nil)
            guard client >= 0 else {
                let reason = errno
                if reason == EINTR || reason == ECONNABORTED { continue }
                return (count, reason == EAGAIN || reason == EWOULDBLOCK)
            }
            self.refuse(client)
            count += 1
        }
        return (count, false)
    }

    private func refuse(_ client: Int32) {
        _ = self.refusal.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        // Whatever the client already sent is read first: a Unix socket closed with unread input resets its
        // peer, which could then lose the answer.
        var scratch = [UInt8](repeating: 0, count: 4096)
        var reads = 0
        while reads < 16, recv(client, &scratch, scratch.count, Int32(MSG_DONTWAIT)) > 0 { reads += 1 }
        close(client)
    }

    private static func openReserve() -> Int32 {
        open("/dev/null", O_RDONLY | O_CLOEXEC)
    }

    /// The listening Unix socket of this process bound to `path`, found among its descriptors; nil if none.
    static func listeningDescriptor(boundTo path: String) -> Int32? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return nil }
        for fd in entries.compactMap(Int32.init).sorted() {
            var listening: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0, listening == 1 else { continue }
            var address = sockaddr_un()
            var size = socklen_t(MemoryLayout<sockaddr_un>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &size) == 0 }
            }
            guard named, address.sun_family == sa_family_t(AF_UNIX) else { continue }
            let bound = withUnsafeBytes(of: address.sun_path) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if bound == path { return fd }
        }
        return nil
    }
}
