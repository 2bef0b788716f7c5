#if canImport(Glibc)
import Glibc
#endif
import JunctionCore
import JunctionRPC
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Where the server listens: a path it binds itself, or a socket systemd already bound (socket activation).
enum ListenerSource: Sendable, Equatable {
    case path(String)
    case activated(fd: Int32, path: String?)

    var displayPath: String {
        switch self {
        case .path(let path): path
        case .activated(_, let path): path ?? "(socket from systemd)"
        }
    }
}

/// The JSON-RPC server on the Unix socket: accepts connections, serves each in a task of its own, and on
/// graceful shutdown stops accepting, drains in-flight requests for `drain_timeout`, cancels the rest with
/// -32008, flushes, and closes.
final class RPCServer: Service, Sendable {
    private let source: ListenerSource
    private let settings: @Sendable () -> ServerSettings
    private let dispatcher: RPCDispatcher
    private let events: EventBus?
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let onListening: @Sendable (String) -> Void
    private let fileDescriptorAlarm: FileDescriptorAlarm?
    private let registry = NIOLockedValueBox(Registry())

    private struct Registry {
        var nextID = 0
        var connections: [Int: (connection: RPCConnection, channel: any Channel)] = [:]
        var draining = false
        var acceptedTotal = 0
        /// Open connections per client uid (`max_connections_per_uid`).
        var connectionsByUID: [UInt32: Int] = [:]
    }

    init(
        source: ListenerSource,
        settings: @escaping @Sendable () -> ServerSettings,
        dispatcher: RPCDispatcher,
        events: EventBus? = nil,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        fileDescriptorAlarm: FileDescriptorAlarm? = nil,
        onListening: @escaping @Sendable (String) -> Void
    ) {
        self.source = source
        self.settings = settings
        self.dispatcher = dispatcher
        self.events = events
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.onListening = onListening
        self.fileDescriptorAlarm = fileDescriptorAlarm
    }

    /// Open connections right now.
    var connectionCount: Int { self.registry.withLockedValue { $0.connections.count } }

    /// Requests being served right now, over all connections.
    var inflightCount: Int {
        self.registry.withLockedValue { $0.connections.values.map(\.connection) }.reduce(0) { $0 + $1.inflightCount }
    }

    var displayPath: String { self.source.displayPath }

    /// The state of the accept path, for the watchdog's liveness check: the event loop answers a task.
    func eventLoopAnswers(within timeout: Duration) async -> Bool {
        await Self.loop(self.eventLoopGroup.next(), answersWithin: timeout)
    }

    /// Whether `loop` runs a task within `timeout`. The clock is not the loop's own (a timer scheduled on a stuck
    /// loop never fires) and nothing waits on the loop itself: whichever of its answer and the timer comes first
    /// decides, so a stuck loop is reported after `timeout` instead of hanging the check.
    static func loop(_ loop: any EventLoop, answersWithin timeout: Duration) async -> Bool {
        let reply = FirstAnswer()
        let timer = Task {
            try? await Task.sleep(for: timeout)
            reply.answer(false)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            reply.install(continuation)
            loop.execute { reply.answer(true) }
        }
    }

    func run() async throws {
        let serverChannel = try await self.bind()
        let path = self.source.displayPath
        self.logger.info("listening", metadata: ["socket": "\(path)"])
        self.onListening(path)

        try await withThrowingDiscardingTaskGroup { group in
            try await serverChannel.executeThenClose { inbound in
                try await withGracefulShutdownHandler {
                    for try await (channel, peer) in inbound {
                        // The connection's own task runs on its event loop too (see EventLoopTaskExecutor).
                        let executor = EventLoopTaskExecutor(eventLoop: channel.channel.eventLoop)
                        group.addTask(executorPreference: executor) { await self.serveConnection(channel, peer: peer) }
                    }
                } onGracefulShutdown: {
                    self.logger.info("shutdown: no longer accepting connections")
                    serverChannel.channel.close(promise: nil)
                }
            }
            await self.drain()
        }
        if case .path(let path) = self.source { unlink(path) }
        self.logger.info("server stopped")
    }

    // MARK: - Binding

    private func bind() async throws -> NIOAsyncChannel<(NIOAsyncChannel<LineFramer.Frame, Never>, PeerCredentials), Never> {
        let bootstrap = ServerBootstrap(group: self.eventLoopGroup)
            .serverChannelOption(.backlog, value: 512)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .serverChannelInitializer { [source = self.source, alarm = self.fileDescriptorAlarm] channel in
                // Out of file descriptors, waiting connections are told so (-32008) instead of left hanging.
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptGuard(source: source, alarm: alarm))
                }
            }
        let initializer: @Sendable (any Channel) -> EventLoopFuture<(NIOAsyncChannel<LineFramer.Frame, Never>, PeerCredentials)> = {
            channel in
            let limits = self.settings().limits
            return PeerCredentials.read(from: channel).flatMapThrowing { peer in
                try channel.pipeline.syncOperations.addHandler(
                    ByteToMessageHandler(LineFrameDecoder(maxLineBytes: limits.maxLineBytes))
                )
                let asyncChannel = try NIOAsyncChannel<LineFramer.Frame, Never>(
                    wrappingChannelSynchronously: channel,
                    configuration: .init(isOutboundHalfClosureEnabled: false)
                )
                return (asyncChannel, peer)
            }
        }
        switch self.source {
        case .path(let path):
            try SocketFile.prepare(path: path)
            // Bind with a strict umask so that the socket is never more open than configured, even briefly.
            let previousMask = umask(0o177)
            defer { umask(previousMask) }
            let channel = try await bootstrap.bind(unixDomainSocketPath: path, childChannelInitializer: initializer)
            let settings = self.settings()
            if let problem = SocketFile.applyPermissions(path: path, mode: settings.socketMode, groupID: settings.socketGroupID) {
                self.logger.warning("\(problem)")
            }
            return channel
        case .activated(let fd, _):
            return try await bootstrap.bind(fd, childChannelInitializer: initializer)
        }
    }

    // MARK: - Connections

    private func serveConnection(_ asyncChannel: NIOAsyncChannel<LineFramer.Frame, Never>, peer: PeerCredentials) async {
        let settings = self.settings()
        let limits = settings.limits
        let writer = ConnectionWriter(
            channel: asyncChannel.channel,
            limit: limits.maxWriteBufferBytes,
            stallTimeout: limits.writeStallTimeout
        )
        let connection = RPCConnection(
            peer: peer,
            writer: writer,
            maxInflight: limits.maxInflight,
            executor: EventLoopTaskExecutor(eventLoop: asyncChannel.channel.eventLoop)
        )

        let admission = self.registry.withLockedValue { registry -> Result<Int, RPCError> in
            registry.acceptedTotal += 1
            if registry.draining { return .failure(.shuttingDown) }
            if registry.connections.count >= settings.maxConnections {
                return .failure(.overloaded("too many connections (max_connections = \(settings.maxConnections))"))
            }
            if registry.connectionsByUID[peer.uid, default: 0] >= settings.maxConnectionsPerUID {
                return .failure(
                    .overloaded(
                        "too many connections from uid \(peer.uid) "
                            + "(max_connections_per_uid = \(settings.maxConnectionsPerUID)); close some and retry"
                    )
                )
            }
            let id = registry.nextID
            registry.nextID += 1
            registry.connections[id] = (connection, asyncChannel.channel)
            registry.connectionsByUID[peer.uid, default: 0] += 1
            return .success(id)
        }
        guard case .success(let registrationID) = admission else {
            if case .failure(let reason) = admission {
                writer.write(RPCEncoder.line(RPCEncoder.errorResponse(id: .null, error: reason)))
            }
            await writer.flushed()
            try? await asyncChannel.channel.close()
            return
        }
        let events = self.events
        defer {
            self.registry.withLockedValue { registry in
                _ = registry.connections.removeValue(forKey: registrationID)
                let left = registry.connectionsByUID[peer.uid, default: 1] - 1
                registry.connectionsByUID[peer.uid] = left > 0 ? left : nil
            }
            // Again once every request has finished: an `events.subscribe` that was running when the client
            // hung up subscribed after the removal below.
            events?.remove(connection)
        }

        // A client that hangs up cancels whatever it still had running or queued, and hears no more events.
        asyncChannel.channel.closeFuture.whenComplete { _ in
            connection.connectionClosed()
            events?.remove(connection)
        }

        do {
            try await asyncChannel.executeThenClose { inbound, _ in
                do {
                    try await connection.serve(frames: inbound, dispatcher: self.dispatcher, limits: limits)
                } catch let failure as LineFramer.Failure {
                    if case .endlessLine(let discarded) = failure {
                        writer.write(
                            RPCEncoder.line(
                                RPCEncoder.errorResponse(
                                    id: .null,
                                    error: .invalidRequest("closing connection: \(discarded) bytes without a newline")
                                )
                            )
                        )
                    }
                } catch {
                    // The channel failed (reset by the client, or closed for not reading its output).
                    connection.connectionClosed()
                }
                // Input ended: half-closed clients (`socat`, `nc -N`) still get their answers.
                await connection.waitUntilIdle()
                await writer.flushed()
            }
        } catch {
            self.logger.debug("connection ended with an error", metadata: ["error": "\(error)"])
        }
        if writer.didOverflow {
            self.logger.warning(
                "disconnected a client that stopped reading its responses",
                metadata: ["client_uid": "\(peer.uid)", "client_pid": "\(peer.pid)"]
            )
        }
    }

    private var isDraining: Bool { self.registry.withLockedValue { $0.draining } }

    /// Shuts the connections down within `drain_timeout`, whatever their clients do: in-flight requests may
    /// finish until shortly before the deadline, what is left is then cancelled with -32008, the answers are
    /// flushed to clients that read them, and at the deadline every connection is closed, unread output or not.
    private func drain() async {
        let connections = self.registry.withLockedValue { registry -> [(RPCConnection, any Channel)] in
            registry.draining = true
            return registry.connections.values.map { ($0.connection, $0.channel) }
        }
        for (connection, _) in connections { connection.beginDraining() }
        let inflight = connections.reduce(0) { $0 + $1.0.inflightCount }
        let timeout = self.settings().drainTimeout
        // Time kept back for the cancelled requests' -32008 answers to be written and flushed.
        let answerReserve = min(.seconds(1), timeout / 5)
        if inflight > 0 {
            self.logger.info(
                "draining in-flight requests",
                metadata: ["inflight": "\(inflight)", "drain_timeout": "\(DurationText.format(timeout))"]
            )
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        let finished = await Self.run(until: deadline - answerReserve, clock: clock) {
            for (connection, _) in connections { await connection.waitUntilIdle() }
        }
        if !finished {
            let remaining = connections.reduce(0) { $0 + $1.0.inflightCount }
            self.logger.warning(
                "drain timeout reached; cancelling remaining requests",
                metadata: ["inflight": "\(remaining)"]
            )
            for (connection, _) in connections { connection.cancelAll(.shutdown) }
        }
        let flushed = await Self.run(until: deadline, clock: clock) {
            await withTaskGroup(of: Void.self) { group in
                for (connection, _) in connections {
                    group.addTask {
                        await connection.waitUntilIdle()
                        await connection.writer.flushed()
                    }
                }
            }
        }
        if !flushed {
            let unread = connections.filter { $0.0.writer.pendingBytes > 0 }
            self.logger.warning(
                "drain timeout reached; closing connections with unread output",
                metadata: [
                    "connections": "\(unread.count)",
                    "unread_bytes": "\(unread.reduce(0) { $0 + $1.0.writer.pendingBytes })",
                ]
            )
        }
        for (_, channel) in connections { try? await channel.close() }
    }

    /// Runs `work` until it returns or `deadline` passes, whichever is first; true if it returned. The work is
    /// cancelled at the deadline but not waited for: the caller goes on to close what it waits on.
    private static func run(
        until deadline: ContinuousClock.Instant,
        clock: ContinuousClock,
        _ work: @escaping @Sendable () async -> Void
    ) async -> Bool {
        let answer = FirstAnswer()
        let worker = Task {
            await work()
            answer.answer(true)
        }
        let timer = Task {
            try? await Task.sleep(until: deadline, clock: clock)
            answer.answer(false)
        }
        let finished = await withCheckedContinuation { answer.install($0) }
        timer.cancel()
        if !finished { worker.cancel() }
        return finished
    }
}

/// The slice of configuration the server reads, at the moment it needs it (so that reloads apply to new
/// connections without disturbing existing ones).
struct ServerSettings: Sendable, Equatable {
    var limits: ConnectionLimits
    var maxConnections: Int
    var maxConnectionsPerUID: Int
    var drainTimeout: Duration
    var socketMode: UInt32
    var socketGroupID: UInt32?
}

/// The first of several answers to one question, delivered once.
final class FirstAnswer: Sendable {
    private typealias State = (continuation: CheckedContinuation<Bool, Never>?, answer: Bool?)
    private let state = NIOLockedValueBox<State>((nil, nil))

    func install(_ continuation: CheckedContinuation<Bool, Never>) {
        let answer = self.state.withLockedValue { state -> Bool? in
            if state.answer == nil { state.continuation = continuation }
            return state.answer
        }
        if let answer { continuation.resume(returning: answer) }
    }

    func answer(_ value: Bool) {
        let continuation = self.state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
            guard state.answer == nil else { return nil }
            state.answer = value
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: value)
    }
}
