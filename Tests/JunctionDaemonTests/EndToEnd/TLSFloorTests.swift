import Foundation
import JunctionCore
import JunctionProviders
import Testing

extension EndToEnd {
    /// `tls_min_version` reaches libcurl: against a loopback server that speaks only TLS 1.2, a 1.3 floor fails
    /// the handshake on the protocol version, while the 1.2 floor gets as far as the (self-signed) certificate.
    @Suite("Transport: TLS floor")
    struct TLSFloorTests {
        @Test func aTLS13FloorRefusesAServerThatSpeaksOnlyTLS12() async throws {
            let server = try TLS12Server()
            let transport = Transport()
            transport.start()
            defer { transport.shutdown() }
            func failure(_ version: TLSVersion) async -> TransportError? {
                var request = HTTPRequest(method: "GET", url: "https://127.0.0.1:\(server.port)/")
                request.tlsMinVersion = version
                do {
                    for try await _ in transport.execute(request) {}
                    return nil
                } catch {
                    return error as? TransportError
                }
            }
            let lenient = await failure(.v1_2)
            #expect(lenient?.failure == .tls)
            #expect(lenient?.detail.contains("certificate") == true, "\(String(describing: lenient))")
            let strict = await failure(.v1_3)
            #expect(strict?.failure == .tls)
            #expect(strict?.detail.contains("protocol version") == true, "\(String(describing: strict))")
        }
    }
}

/// `openssl s_server` on a free loopback port, limited to TLS 1.2, with a throwaway self-signed certificate.
private final class TLS12Server: @unchecked Sendable {
    let port: Int
    private let process = Process()
    private let directory: TemporaryDirectory

    init() throws {
        self.directory = try TemporaryDirectory()
        let key = self.directory.path + "/key.pem"
        let certificate = self.directory.path + "/cert.pem"
        let generated = try runCommand(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-subj", "/CN=localhost", "-days", "1", "-keyout", key, "-out", certificate,
            ]
        )
        guard generated.status == 0 else { throw DaemonFailed(message: "openssl req: \(generated.stderr)") }
        self.port = try freeLoopbackPort()
        self.process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        self.process.arguments = [
            "s_server", "-accept", "127.0.0.1:\(self.port)", "-tls1_2", "-cert", certificate, "-key", key,
            "-www", "-quiet",
        ]
        self.process.standardOutput = FileHandle.nullDevice
        self.process.standardError = FileHandle.nullDevice
        try self.process.run()
        try poll(until: "openssl s_server to accept connections on port \(self.port)") {
            guard self.process.isRunning else { throw DaemonFailed(message: "openssl s_server exited at start") }
            return Self.accepts(port: self.port)
        }
    }

    private static func accepts(port: Int) -> Bool {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    deinit {
        // s_server does not always act on SIGTERM while it waits in accept(); it holds nothing worth a clean exit.
        if self.process.isRunning {
            kill(self.process.processIdentifier, SIGKILL)
            self.process.waitUntilExit()
        }
    }
}
