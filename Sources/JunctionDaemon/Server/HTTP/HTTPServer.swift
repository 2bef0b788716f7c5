#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The operators' HTTP/1.1 server: one router served on every configured TCP address and Unix socket.
///
/// Binding happens in `bind()` (the daemon calls it before the service group runs, so that a port in use is a
/// startup error naming the address); `run()` accepts and serves until graceful shutdown, then drains: the
/// listeners close, idle keep-alive connections close at once, a request in progress gets its response (marked
/// `Connection: close`), and after `drain_timeout` whatever is still open is closed.
///
/// Connections above `max_connections` are answered `503 Service Unavailable` (`Retry-After: 1`,
/// `Connection: close`) as soon as they are accepted, and closed.
final class HTTPServer: Service, Sendable {
    /// What the server answers.
    let router: HTTPRouter
    let settings: HTTPServerSettings
    /// Where it listens.
    let targets: [HTTPListenTarget]
    let logger: Logger
    /// The loops the sockets run on.
    let eventLoopGroup: any EventLoopGroup
    /// Called once when draining starts (readiness turns 503 at once).
    private let onDraining: @Sendable () -> Void
    /// The listeners and the open connections, behind a short lock.
    let state = NIOLockedValueBox(State())

    /// What the server holds.
    struct State {
        /// Bound by `bind()`.
        var listeners: [BoundListener] = []
        var bound = false
        var draining = false
        var nextID = 0
        /// Open connections by id, refused ones included until they close.
        var connections: [Int: any Channel] = [:]
        var acceptedTotal = 0
        var refusedTotal = 0
    }

    /// A server for `targets`; nothing is bound until `bind()` or `run()`.
    init(
        targets: [HTTPListenTarget],
        router: HTTPRouter,
        settings: HTTPServerSettings,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        onDraining: @escaping @Sendable () -> Void = {}
    ) {
        self.targets = targets
        self.router = router
        self.settings = settings
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.onDraining = onDraining
    }

    /// Whether the server is draining (graceful shutdown started).
    var isDraining: Bool { self.state.withLockedValue { $0.draining } }

    /// Open connections now (refused ones included while they are being answered).
    var connectionCount: Int { self.state.withLockedValue { $0.connections.count } }

    /// Where it listens, as bound (a port 0 shows the port picked).
    var boundAddresses: [String] { self.state.withLockedValue { $0.listeners.map(\.display) } }

    /// Binds (when not done yet), serves until graceful shutdown, drains, and removes the Unix socket file.
    func run() async throws {
        let listeners = try await self.bind()
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                for listener in listeners {
                    group.addTask { try await self.accept(on: listener) }
                }
            }
        } onGracefulShutdown: {
            self.startDraining()
        }
        for listener in listeners {
            if case .unix(let path, _, _) = listener.target { unlink(path) }
        }
        self.logger.info("http server stopped")
    }

    private func accept(on listener: BoundListener) async throws {
        try await listener.channel.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await accepted in inbound {
                    // The connection's task runs on its channel's event loop (see EventLoopTaskExecutor).
                    let executor = EventLoopTaskExecutor(eventLoop: accepted.channel.channel.eventLoop)
                    group.addTask(executorPreference: executor) { await self.serve(accepted) }
                }
            }
        }
    }

    /// Registers a connection; false when it is over the limit or the server drains (it is then refused).
    func admit(_ channel: any Channel) -> (id: Int, admitted: Bool) {
        self.state.withLockedValue { state in
            state.nextID += 1
            state.acceptedTotal += 1
            let admitted = !state.draining && state.connections.count < self.settings.maxConnections
            if !admitted { state.refusedTotal += 1 }
            state.connections[state.nextID] = channel
            return (state.nextID, admitted)
        }
    }

    /// Forgets a connection that closed.
    func release(_ id: Int) {
        self.state.withLockedValue { _ = $0.connections.removeValue(forKey: id) }
    }

    /// Stops accepting, tells every connection to finish, and closes what is left after the drain timeout.
    func startDraining() {
        let (listeners, connections) = self.state.withLockedValue { state -> ([BoundListener], [any Channel]) in
            guard !state.draining else { return ([], []) }
            state.draining = true
            return (state.listeners, Array(state.connections.values))
        }
        guard !listeners.isEmpty || !connections.isEmpty else { return }
        self.onDraining()
        self.logger.info("http: draining", metadata: ["connections": "\(connections.count)"])
        for listener in listeners { listener.channel.channel.close(promise: nil) }
        for channel in connections { channel.pipeline.fireUserInboundEventTriggered(HTTPDrainEvent()) }
        let timeout = self.settings.drainTimeout
        self.eventLoopGroup.next().scheduleTask(in: TimeAmount(timeout)) {
            let remaining = self.state.withLockedValue { Array($0.connections.values) }
            if !remaining.isEmpty {
                self.logger.warning(
                    "http: drain timeout reached; closing connections", metadata: ["connections": "\(remaining.count)"]
                )
            }
            for channel in remaining { channel.close(promise: nil) }
        }
    }
}
