import CHiredis
import Glibc
import JunctionCore

/// A failure to talk to Redis: the connection is unusable afterwards (hiredis' context keeps its error).
public struct RedisConnectionError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case connect
        case timeout
        case io
        case protocolError = "protocol"
        case auth
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(self.kind.rawValue): \(self.message)" }
}

/// One blocking hiredis connection, used by one thread at a time (the client's or the subscriber's). Commands are
/// pipelined: every command of a batch is appended to the output buffer, then the replies are read in order.
final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>

    /// Connects within `timeout`, authenticates and selects the database; every later read and write gives up
    /// after `timeout` as well (the socket's timeouts).
    init(endpoint: RedisEndpoint, password: String?, timeout: Duration) throws(RedisConnectionError) {
        let milliseconds = Self.milliseconds(timeout)
        let tv = junction_redis_timeval_ms(milliseconds)
        let made: UnsafeMutablePointer<redisContext>?
        var sentinel: String?
        switch endpoint.address {
        case .tcp(let host, let port): made = redisConnectWithTimeout(host, Int32(port), tv)
        case .unix(let path): made = redisConnectUnixWithTimeout(path, tv)
        case .sentinel(let hosts, let master):
            let (host, port) = try Self.resolveMaster(master, sentinels: hosts, timeout: timeout)
            sentinel = master
            made = redisConnectWithTimeout(host, Int32(port), tv)
        }
        guard let made else { throw RedisConnectionError(.connect, "out of memory allocating the connection") }
        if made.pointee.err != 0 {
            let message = Self.errorString(made)
            redisFree(made)
            throw RedisConnectionError(.connect, "\(endpoint): \(message)")
        }
        self.context = made
        _ = redisSetTimeout(made, tv)
        // TCP only: on a unix socket the keepalive options fail, and hiredis then marks the context as failed.
        if case .tcp = endpoint.address { _ = redisEnableKeepAlive(made) }
        if let password {
            var command = ["AUTH"]
            if let user = endpoint.username { command.append(user) }
            command.append(password)
            let reply = try self.pipeline([command.map { Array($0.utf8) }])[0]
            if case .error(let message) = reply {
                // The message is the server's (WRONGPASS …): it never contains the password.
                throw RedisConnectionError(.auth, message)
            }
        }
        if endpoint.database != 0 {
            let reply = try self.pipeline([["SELECT", "\(endpoint.database)"].map { Array($0.utf8) }])[0]
            if case .error(let message) = reply { throw RedisConnectionError(.connect, "SELECT: \(message)") }
        }
        if let sentinel {
            // A sentinel may still name a master that has just been demoted: check before using it.
            let role = try self.pipeline([[Array("ROLE".utf8)]])[0]
            guard role.array?.first?.text == "master" else {
                throw RedisConnectionError(.connect, "the server the sentinels name for \(sentinel) is not a master")
            }
        }
    }

    /// Asks each sentinel in turn for the current master of `master` (`SENTINEL get-master-addr-by-name`).
    private static func resolveMaster(
        _ master: String,
        sentinels: [RedisEndpoint.SentinelHost],
        timeout: Duration
    ) throws(RedisConnectionError) -> (String, Int) {
        var problems: [String] = []
        for sentinel in sentinels {
            do {
                let connection = try RedisConnection(
                    endpoint: RedisEndpoint(address: .tcp(host: sentinel.host, port: sentinel.port)), password: nil,
                    timeout: timeout
                )
                let reply = try connection.pipeline(
                    [["SENTINEL", "get-master-addr-by-name", master].map { Array($0.utf8) }]
                )[0]
                guard let parts = reply.array, parts.count == 2, let host = parts[0].text,
                    let port = parts[1].text.flatMap({ Int($0) })
                else {
                    problems.append("\(sentinel): knows no master \(master)")
                    continue
                }
                return (host, port)
            } catch {
                problems.append("\(sentinel): \(error.message)")
            }
        }
        throw RedisConnectionError(.connect, "no sentinel named the master: " + problems.joined(separator: "; "))
    }

    deinit {
        redisFree(self.context)
    }

    /// Sends every command, then reads one reply per command, in order.
    func pipeline(_ commands: [[[UInt8]]]) throws(RedisConnectionError) -> [RedisValue] {
        for command in commands { try self.append(command) }
        var replies: [RedisValue] = []
        replies.reserveCapacity(commands.count)
        for _ in commands { replies.append(try self.readReply()) }
        return replies
    }

    /// Writes the output buffer without waiting for replies (a SUBSCRIBE's confirmations are read as messages).
    func send(_ command: [[UInt8]]) throws(RedisConnectionError) {
        try self.append(command)
        var done: Int32 = 0
        while done == 0 {
            guard redisBufferWrite(self.context, &done) == REDIS_OK else { throw self.failure() }
        }
    }

    /// Reads the next reply (or pushed message); a timeout throws `.timeout` and leaves the connection unusable.
    func readReply() throws(RedisConnectionError) -> RedisValue {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReply(self.context, &raw) == REDIS_OK, let raw else { throw self.failure() }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return Self.value(of: reply)
    }

    /// A reply already read into hiredis' buffer, if one is complete; never blocks.
    func bufferedReply() throws(RedisConnectionError) -> RedisValue? {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReplyFromReader(self.context, &raw) == REDIS_OK else { throw self.failure() }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return Self.value(of: raw.assumingMemoryBound(to: redisReply.self))
    }

    /// Waits up to `milliseconds` for the socket to become readable, then reads what arrived into the buffer;
    /// false when nothing arrived in time.
    func receive(within milliseconds: Int) throws(RedisConnectionError) -> Bool {
        var descriptor = pollfd(fd: self.context.pointee.fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, Int32(milliseconds))
        if ready == 0 { return false }
        if ready < 0 { return errno == EINTR ? false : true }
        guard redisBufferRead(self.context) == REDIS_OK else { throw self.failure() }
        return true
    }

    private func append(_ command: [[UInt8]]) throws(RedisConnectionError) {
        // hiredis copies the arguments into its output buffer before returning.
        let status: Int32 = command.withUnsafePointers { pointers, lengths in
            redisAppendCommandArgv(self.context, Int32(command.count), pointers, lengths)
        }
        guard status == REDIS_OK else { throw self.failure() }
    }

    private func failure() -> RedisConnectionError {
        let message = Self.errorString(self.context)
        switch self.context.pointee.err {
        case REDIS_ERR_IO:
            // A socket timeout surfaces as an I/O error with EAGAIN's text.
            let timedOut = message.contains("temporarily unavailable") || message.contains("timed out")
            return RedisConnectionError(timedOut ? .timeout : .io, message)
        case REDIS_ERR_EOF: return RedisConnectionError(.io, "the server closed the connection")
        case REDIS_ERR_PROTOCOL: return RedisConnectionError(.protocolError, message)
        default: return RedisConnectionError(.io, message)
        }
    }

    private static func value(of reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let node = reply.pointee
        switch node.type {
        case REDIS_REPLY_STRING:
            return .string(Self.bytes(node.str, node.len))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: Self.bytes(node.str, node.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: Self.bytes(node.str, node.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(node.integer)
        case REDIS_REPLY_ARRAY:
            var values: [RedisValue] = []
            values.reserveCapacity(node.elements)
            for index in 0..<node.elements {
                guard let child = junction_redis_reply_element(reply, index) else {
                    values.append(.null)
                    continue
                }
                values.append(Self.value(of: child))
            }
            return .array(values)
        default:
            return .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: length))
    }

    private static func errorString(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}

extension Array where Element == [UInt8] {
    /// The arguments as C pointers and lengths, valid for the duration of `body`.
    fileprivate func withUnsafePointers<Result>(
        _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> Result
    ) -> Result {
        let lengths = self.map(\.count)
        // One buffer holds every argument back to back; the pointers point into it.
        var joined: [UInt8] = []
        joined.reserveCapacity(lengths.reduce(1, +))
        for argument in self { joined.append(contentsOf: argument) }
        joined.append(0)
        return joined.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { base in
                var pointers: [UnsafePointer<CChar>?] = []
                pointers.reserveCapacity(self.count)
                var offset = 0
                for length in lengths {
                    pointers.append(UnsafePointer(base + offset))
                    offset += length
                }
                return pointers.withUnsafeMutableBufferPointer { pointerBuffer in
                    lengths.withUnsafeBufferPointer { lengthBuffer in
                        body(pointerBuffer.baseAddress!, lengthBuffer.baseAddress!)
                    }
                }
            }
        }
    }
}

extension Duration {
    /// At least 1: Redis' PX and script arguments count whole milliseconds, and 0 would mean "no expiry".
    public var redisMilliseconds: Int { RedisConnection.milliseconds(self) }
}
