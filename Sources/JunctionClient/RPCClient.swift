#if canImport(Glibc)
import Glibc
#endif
import JunctionCore
import JunctionRPC

/// A blocking JSON-RPC client for Junction's Unix socket: one connection, one call at a time, notifications
/// handed to a callback as they arrive. For `junctionctl`, the benchmark and tests; programs in other languages
/// need nothing but a socket and a JSON library.
public final class RPCClient {
    public enum Failure: Error, CustomStringConvertible {
        /// The socket could not be reached (no daemon, wrong path, no permission).
        case cannotConnect(path: String, reason: String)
        /// No complete answer within the timeout.
        case timedOut(seconds: Double)
        /// The daemon closed the connection before answering.
        case connectionClosed
        /// The daemon sent something that is not JSON-RPC.
        case malformedReply(String)
        case ioError(String)

        public var description: String {
            switch self {
            case .cannotConnect(let path, let reason): "cannot connect to \(path): \(reason)"
            case .timedOut(let seconds): "no answer within \(seconds)s"
            case .connectionClosed: "the daemon closed the connection before answering"
            case .malformedReply(let detail): "malformed reply from the daemon: \(detail)"
            case .ioError(let detail): detail
            }
        }
    }

    /// The error member of a JSON-RPC response, as `call` throws it: the same type the daemon answers with.
    public typealias ErrorReply = RPCError

    public let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var framer: LineFramer
    private var nextID = 1
    /// Seconds to wait for each read; nil waits forever.
    public var timeout: Double?

    /// Connects to the socket at `path`. A reply line longer than `maxReplyBytes` is dropped and reported as
    /// `Failure.malformedReply` rather than buffered without bound.
    public init(path: String, timeout: Double? = 30, maxReplyBytes: Int = 64 * 1024 * 1024) throws(Failure) {
        self.path = path
        self.timeout = timeout
        self.framer = LineFramer(maxLineBytes: maxReplyBytes)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .cannotConnect(path: path, reason: String(cString: strerror(errno))) }
        guard path.utf8.count < 108 else {
            close(fd)
            throw .cannotConnect(path: path, reason: "path too long for a Unix socket")
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .cannotConnect(path: path, reason: reason)
        }
        self.fd = fd
    }

    deinit {
        close(self.fd)
    }

    /// Calls `method` and returns its result. Notifications that arrive first (stream deltas) go to
    /// `onNotification`. Throws `RPCError` when the daemon answers with an error.
    public func call(
        _ method: String,
        params: JSONValue? = nil,
        onNotification: (String, JSONValue) -> Void = { _, _ in }
    ) throws -> JSONValue {
        let id = RequestID.number(String(self.nextID))
        self.nextID += 1
        try self.send(raw: RPCEncoder.line(RPCEncoder.request(id: id, method: method, params: params)))
        while true {
            let reply: RPCReply
            do {
                reply = try RPCDecoder.reply(from: try self.receive())
            } catch let malformed as RPCMalformedReply {
                throw Failure.malformedReply(malformed.description)
            }
            switch reply {
            case .notification(let notification, let params):
                onNotification(notification, params)
            case .response(id, let outcome):
                return try outcome.get()
            case .response:
                continue  // an answer to something else (an earlier call that timed out)
            }
        }
    }

    /// Sends raw bytes followed by a newline (for tests of the framing and of malformed input).
    public func send(line: [UInt8]) throws(Failure) {
        try self.send(raw: line + [UInt8(ascii: "\n")])
    }

    public func send(raw bytes: [UInt8]) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .ioError("write failed: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// Reads the next complete line and parses it.
    public func receive() throws -> JSONValue {
        let line = try self.receiveLine()
        do {
            return try JSONValue.parse(line, maxDepth: 512)
        } catch {
            throw Failure.malformedReply(error.description)
        }
    }

    /// Reads the next complete line (without its newline).
    public func receiveLine() throws(Failure) -> [UInt8] {
        while true {
            let line: LineFramer.Line?
            do {
                line = try self.framer.nextLine(from: &self.buffer)
            } catch {
                throw .malformedReply("a reply line went on past \(self.framer.maxDiscardBytes) bytes")
            }
            switch line {
            case .complete(let bytes)?:
                return bytes
            case .oversized(let length)?:
                throw .malformedReply("a reply line of \(length) bytes exceeds \(self.framer.maxLineBytes) bytes")
            case nil:
                try self.fill()
            }
        }
    }

    /// Half-closes the connection: the daemon sees end of input but can still answer.
    public func finishSending() {
        shutdown(self.fd, Int32(SHUT_WR))
    }

    private func fill() throws(Failure) {
        var poller = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = self.timeout.map { Int32(min($0 * 1000, Double(Int32.max))) } ?? -1
        var ready: Int32
        repeat { ready = poll(&poller, 1, milliseconds) } while ready < 0 && errno == EINTR
        if ready == 0 { throw .timedOut(seconds: self.timeout ?? 0) }
        if ready < 0 { throw .ioError("poll failed: \(String(cString: strerror(errno)))") }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
        if count == 0 { throw .connectionClosed }
        if count < 0 {
            if errno == EINTR || errno == EAGAIN { return }
            if errno == ECONNRESET { throw .connectionClosed }
            throw .ioError("read failed: \(String(cString: strerror(errno)))")
        }
        self.buffer.append(contentsOf: chunk[0..<count])
    }
}
