import Foundation
import Logging
import NIOPosix
@testable import JunctionDaemon

/// An in-process `HTTPServer` on a free loopback port, for the listener's own tests.
final class HTTPServerHarness: Sendable {
    let server: HTTPServer
    let port: Int
    private let task: Task<Void, any Error>

    private init(server: HTTPServer, port: Int, task: Task<Void, any Error>) {
        self.server = server
        self.port = port
        self.task = task
    }

    static func start(
        router: HTTPRouter,
        settings: HTTPServerSettings = HTTPServerSettings(),
        unixPath: String? = nil,
        onDraining: @escaping @Sendable () -> Void = {}
    ) async throws -> HTTPServerHarness {
        var targets: [HTTPListenTarget] = [.tcp(HTTPListenAddress(host: "127.0.0.1", port: 0, isIPv6: false))]
        if let unixPath { targets.append(.unix(path: unixPath, mode: 0o600, groupName: nil)) }
        let server = HTTPServer(
            targets: targets, router: router, settings: settings, logger: Logger(label: "http-test"),
            onDraining: onDraining
        )
        try await server.bind()
        guard let port = server.boundAddresses.first?.split(separator: ":").last.flatMap({ Int($0) }) else {
            throw DaemonFailed(message: "no bound port in \(server.boundAddresses)")
        }
        // On an event loop, not the shared pool: the tests block pool threads in socket reads, and the accept
        // loops must still run meanwhile (the connections' tasks already prefer their own loops).
        let executor = EventLoopTaskExecutor(eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        let task = Task(executorPreference: executor) { try await server.run() }
        return HTTPServerHarness(server: server, port: port, task: task)
    }

    /// Drains and waits for `run()` to return.
    func stop() async throws {
        self.server.startDraining()
        try await self.task.value
    }

    var url: String { "http://127.0.0.1:\(self.port)" }
}
