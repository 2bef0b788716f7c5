import Foundation

/// A datagram socket standing in for systemd's `$NOTIFY_SOCKET`.
final class NotifyListener: @unchecked Sendable {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        self.fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(self.fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { throw POSIXError(.EADDRINUSE) }
    }

    /// The next message, or nil after `timeout`.
    func receive(timeout: Duration) -> String? {
        var poller = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)) > 0
        else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// Messages until one contains `needle` (returned with everything before it), or nil on timeout.
    func receive(until needle: String, timeout: Duration) -> [String]? {
        let deadline = ContinuousClock.now + timeout
        var messages: [String] = []
        while ContinuousClock.now < deadline {
            guard let message = self.receive(timeout: deadline - ContinuousClock.now) else { return nil }
            messages.append(message)
            if message.contains(needle) { return messages }
        }
        return nil
    }

    deinit {
        close(self.fd)
        unlink(self.path)
    }
}
