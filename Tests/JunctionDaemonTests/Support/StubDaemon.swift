import Foundation
import JunctionCore

/// A Unix socket that answers every request line with a canned JSON-RPC error, for checking how a client
/// renders error data the real daemon produces only in rare situations.
final class StubDaemon: @unchecked Sendable {
    let socket: String
    private let directory: TemporaryDirectory
    private let fd: Int32

    /// - Parameter error: the `error` member of every reply (its `id` is copied from the request).
    init(error: JSONValue) throws {
        self.directory = try TemporaryDirectory()
        self.socket = self.directory.path + "/stub.sock"
        self.fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in self.socket.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(self.fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, listen(self.fd, 4) == 0 else { throw DaemonFailed(message: "stub: cannot listen") }
        let fd = self.fd
        let thread = Thread {
            while true {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { return }
                Self.serve(connection, error: error)
            }
        }
        thread.start()
    }

    private static func serve(_ connection: Int32, error: JSONValue) {
        defer { close(connection) }
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(connection, &chunk, chunk.count)
            guard count > 0 else { return }
            pending += chunk[0..<count]
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                let id = (try? JSONValue.parse(String(decoding: line, as: UTF8.self)))?["id"] ?? .null
                let envelope: JSONValue = ["jsonrpc": "2.0", "id": id, "error": error]
                let reply = Array((envelope.compactText + "\n").utf8)
                _ = reply.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
            }
        }
    }

    deinit {
        // Unblocks accept(): the thread then ends.
        shutdown(self.fd, Int32(SHUT_RDWR))
        close(self.fd)
    }
}
