import Foundation

/// One HTTP response as read off the wire by `RawHTTPConnection`.
struct RawHTTPResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        self.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: self.body, as: UTF8.self) }
}

/// A blocking HTTP/1.1 client on one socket, for tests that need to see the bytes: keep-alive, pipelining,
/// limits, the server closing. Every read waits at most `timeout`.
final class RawHTTPConnection {
    private let fd: Int32
    private var buffer: [UInt8] = []

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Connects to 127.0.0.1:`port`.
    init(port: Int, timeout: Double = 5) throws {
        self.fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(self.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(self.fd)
            throw Failure(description: "cannot connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
        self.setTimeout(timeout)
    }

    /// Connects to the Unix socket at `path`.
    init(unixPath path: String, timeout: Double = 5) throws {
        self.fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() where index < raw.count - 1 { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(self.fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            close(self.fd)
            throw Failure(description: "cannot connect to \(path): \(String(cString: strerror(errno)))")
        }
        self.setTimeout(timeout)
    }

    private func setTimeout(_ seconds: Double) {
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
        setsockopt(self.fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(self.fd) }

    /// Closes both directions now (the descriptor itself goes with the value).
    func hangUp() {
        shutdown(self.fd, Int32(SHUT_RDWR))
    }

    func send(_ text: String) throws {
        try self.send(bytes: Array(text.utf8))
    }

    func send(bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { throw Failure(description: "send failed: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    /// A GET (or another method) on this connection, and its response.
    func request(_ method: String = "GET", _ path: String, headers: [String] = []) throws -> RawHTTPResponse {
        let lines = ["\(method) \(path) HTTP/1.1", "Host: localhost"] + headers
        try self.send(lines.joined(separator: "\r\n") + "\r\n\r\n")
        guard let response = try self.readResponse(bodyless: method == "HEAD") else {
            throw Failure(description: "the server closed the connection without answering \(method) \(path)")
        }
        return response
    }

    /// Whether more bytes arrive: false once the server closed (EOF); throws on a read timeout.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = recv(self.fd, &chunk, chunk.count, 0)
        if count > 0 {
            self.buffer += chunk[0..<count]
            return true
        }
        if count == 0 || errno == ECONNRESET { return false }
        throw Failure(description: "read failed: \(String(cString: strerror(errno)))")
    }

    /// The next final response (1xx skipped); nil when the server closed before sending one.
    func readResponse(bodyless: Bool = false) throws -> RawHTTPResponse? {
        while true {
            guard let response = try self.readOne(bodyless: bodyless) else { return nil }
            if response.status >= 200 { return response }
        }
    }

    private func readOne(bodyless: Bool) throws -> RawHTTPResponse? {
        let separator: [UInt8] = [13, 10, 13, 10]
        var end: Int?
        while true {
            if let found = self.find(separator) { end = found; break }
            guard try self.fill() else {
                if self.buffer.isEmpty { return nil }
                throw Failure(description: "the connection closed inside a response head")
            }
        }
        guard let end else { return nil }
        let headText = String(decoding: self.buffer[0..<end], as: UTF8.self)
        self.buffer.removeFirst(end + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw Failure(description: "bad status line in \(headText)")
        }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var response = RawHTTPResponse(status: status, headers: headers, body: [])
        if bodyless || status < 200 || status == 204 || status == 304 { return response }
        if let length = response.header("content-length").flatMap(Int.init) {
            while self.buffer.count < length {
                guard try self.fill() else { throw Failure(description: "the connection closed inside a body") }
            }
            response.body = Array(self.buffer[0..<length])
            self.buffer.removeFirst(length)
        } else if response.header("transfer-encoding")?.lowercased() == "chunked" {
            response.body = try self.readChunks()
        } else {
            while try self.fill() {}
            response.body = self.buffer
            self.buffer = []
        }
        return response
    }

    private func readChunks() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let line = try self.readLine()
            guard let size = Int(line.split(separator: ";").first ?? "", radix: 16) else {
                throw Failure(description: "bad chunk size line \"\(line)\"")
            }
            if size == 0 {
                while try !self.readLine().isEmpty {}  // trailers
                return body
            }
            while self.buffer.count < size + 2 {
                guard try self.fill() else { throw Failure(description: "the connection closed inside a chunk") }
            }
            body += self.buffer[0..<size]
            self.buffer.removeFirst(size + 2)
        }
    }

    private func readLine() throws -> String {
        while true {
            if let end = self.find([13, 10]) {
                let line = String(decoding: self.buffer[0..<end], as: UTF8.self)
                self.buffer.removeFirst(end + 2)
                return line
            }
            guard try self.fill() else { throw Failure(description: "the connection closed inside a line") }
        }
    }

    private func find(_ needle: [UInt8]) -> Int? {
        guard self.buffer.count >= needle.count else { return nil }
        for start in 0...(self.buffer.count - needle.count) where self.buffer[start] == needle[0] {
            if Array(self.buffer[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }

    /// Waits until the server closes the connection (true), or `timeout` passes with it open (false). Bytes that
    /// arrive meanwhile are kept.
    func waitForClose(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
            let left = max(1, Int32((deadline - ContinuousClock.now).milliseconds))
            guard poll(&poller, 1, min(left, 100)) >= 0 else { return false }
            if poller.revents != 0 {
                guard (try? self.fill()) == true else { return true }
            }
        }
        return false
    }
}

/// One GET on a fresh connection to 127.0.0.1:`port`.
func httpGet(port: Int, _ path: String, headers: [String] = []) throws -> RawHTTPResponse {
    try RawHTTPConnection(port: port).request("GET", path, headers: headers + ["Connection: close"])
}
