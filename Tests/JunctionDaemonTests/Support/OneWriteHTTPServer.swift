import Foundation

/// A loopback HTTP server that answers every request with the same bytes, handed to the kernel in one `send`,
/// so that the client receives them in one read. For tests of what the transport does with one read.
///
/// Gated, it holds each answer until `release()`, so that a test can first bring its client into the state it
/// wants to observe.
final class OneWriteHTTPServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let response: [UInt8]
    private let gate: DispatchSemaphore?
    private let lock = NSLock()
    private var clients: [Int32] = []
    private var received = 0

    init(response: [UInt8], gated: Bool = false) throws {
        self.response = response
        self.gate = gated ? DispatchSemaphore(value: 0) : nil
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(listener, generic, length) == 0 && listen(listener, 16) == 0
                    && getsockname(listener, generic, &length) == 0
            }
        }
        guard bound else {
            close(listener)
            throw POSIXError(.EADDRINUSE)
        }
        self.listener = listener
        self.port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in self.acceptLoop() }
        thread.start()
    }

    /// Requests received so far (complete ones, answered or held at the gate).
    var requestsReceived: Int { self.lock.withLock { self.received } }

    /// Lets one held answer go.
    func release() {
        self.gate?.signal()
    }

    /// Stops accepting and closes every connection.
    func stop() {
        shutdown(self.listener, Int32(SHUT_RDWR))
        close(self.listener)
        let clients = self.lock.withLock { self.clients }
        for client in clients { close(client) }
    }

    private func acceptLoop() {
        while true {
            let client = accept(self.listener, nil, nil)
            guard client >= 0 else { return }
            self.lock.withLock { self.clients.append(client) }
            let thread = Thread { [self] in self.serve(client) }
            thread.start()
        }
    }

    /// Reads one request at a time (headers, then `Content-Length` bytes of body) and answers each in one send.
    private func serve(_ client: Int32) {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let end = Self.requestEnd(received) {
                received.removeFirst(end)
                self.lock.withLock { self.received += 1 }
                self.gate?.wait()
                let sent = self.response.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard sent == self.response.count else { return }
                continue
            }
            let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return }
            received += chunk[0..<count]
        }
    }

    /// Where the first complete request in `bytes` ends, if one is complete.
    private static func requestEnd(_ bytes: [UInt8]) -> Int? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4,
            let head = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<($0 + 4)]) == separator })
        else { return nil }
        let text = String(decoding: bytes[0..<head], as: UTF8.self).lowercased()
        let length = text.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        let end = head + 4 + length
        return bytes.count >= end ? end : nil
    }
}
