#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// One accepted connection, ready to serve.
struct AcceptedHTTPConnection: Sendable {
    /// Request parts in, response parts out.
    var channel: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    var peer: HTTPPeer
    /// Closes the connection if no task ever serves it.
    var unserved: UnservedHTTPConnection
}

/// Closes an accepted connection that no task serves. NIO drops a connection accepted just as its listener
/// closes (at the drain) before the accept loop receives it, and an async channel dropped without being closed
/// traps: this closes it instead.
final class UnservedHTTPConnection: Sendable {
    private let channel: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    private let served = NIOLockedValueBox(false)

    init(_ channel: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) {
        self.channel = channel
    }

    /// A task serves the connection (and closes it when done).
    func markServed() {
        self.served.withLockedValue { $0 = true }
    }

    deinit {
        guard !self.served.withLockedValue({ $0 }) else { return }
        let channel = self.channel
        Task { try? await channel.executeThenClose { _, _ in } }
    }
}

/// A listening socket of the HTTP server.
struct BoundListener: Sendable {
    var target: HTTPListenTarget
    /// Accepted connections, ready to serve.
    var channel: NIOAsyncChannel<AcceptedHTTPConnection, Never>
    /// As bound: `127.0.0.1:39121`, `unix:/run/junction/http.sock`.
    var display: String
}

/// The HTTP listener could not bind: names the address and why.
struct HTTPBindError: Error, CustomStringConvertible {
    var target: HTTPListenTarget
    /// The system's words (`Address already in use`).
    var reason: String

    var description: String {
        switch self.target {
        case .tcp(let address): "http.listen: cannot listen on \(address): \(self.reason)"
        case .unix(let path, _, _): "http.listen_unix: cannot listen on \(path): \(self.reason)"
        }
    }
}

extension HTTPServer {
    /// Binds every listener (once; later calls return the same). Throws on the first that fails, after closing
    /// those already bound.
    @discardableResult
    func bind() async throws -> [BoundListener] {
        if let bound = self.state.withLockedValue({ $0.bound ? $0.listeners : nil }) { return bound }
        var listeners: [BoundListener] = []
        do {
            for target in self.targets {
                listeners.append(try await self.bind(target))
            }
        } catch {
            for listener in listeners { try? await listener.channel.channel.close() }
            throw error
        }
        self.state.withLockedValue { state in
            state.listeners = listeners
            state.bound = true
        }
        for listener in listeners {
            self.logger.info("http listening", metadata: ["address": "\(listener.display)"])
        }
        return listeners
    }

    private func bind(_ target: HTTPListenTarget) async throws -> BoundListener {
        let settings = self.settings
        let bootstrap = ServerBootstrap(group: self.eventLoopGroup)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        switch target {
        case .tcp(let address):
            let socketAddress: SocketAddress
            do {
                socketAddress = try SocketAddress(ipAddress: address.host, port: address.port)
            } catch {
                throw HTTPBindError(target: target, reason: "\(error)")
            }
            do {
                let channel = try await bootstrap
                    .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                    .bind(to: socketAddress) { channel in
                        Self.initialize(channel, settings: settings) {
                            channel.eventLoop.makeSucceededFuture(HTTPPeer(remote: channel.remoteAddress))
                        }
                    }
                let local = channel.channel.localAddress
                let port = local?.port ?? address.port
                let display = HTTPListenAddress(host: address.host, port: port, isIPv6: address.isIPv6).description
                return BoundListener(target: target, channel: channel, display: display)
            } catch {
                throw HTTPBindError(target: target, reason: Self.reason(error))
            }
        case .unix(let path, let mode, let groupName):
            do {
                try SocketFile.prepare(path: path)
            } catch {
                throw HTTPBindError(target: target, reason: "\(error)")
            }
            // A strict umask while binding: the socket is never more open than configured, even briefly.
            let previousMask = umask(0o177)
            defer { umask(previousMask) }
            let channel: NIOAsyncChannel<AcceptedHTTPConnection, Never>
            do {
                channel = try await bootstrap.bind(unixDomainSocketPath: path) { channel in
                    Self.initialize(channel, settings: settings) {
                        PeerCredentials.read(from: channel).map(HTTPPeer.unix)
                    }
                }
            } catch {
                throw HTTPBindError(target: target, reason: Self.reason(error))
            }
            var groupID: UInt32?
            if let groupName {
                groupID = GroupDirectory.gid(named: groupName)
                if groupID == nil {
                    self.logger.warning(
                        "http.unix_group \"\(groupName)\" does not exist; \(path) keeps the daemon's group"
                    )
                }
            }
            if let problem = SocketFile.applyPermissions(path: path, mode: mode, groupID: groupID) {
                self.logger.warning("\(problem)")
            }
            return BoundListener(target: target, channel: channel, display: "unix:\(path)")
        }
    }

    /// The pipeline of one accepted connection: the HTTP codec (its header limit is `max_header_bytes`), the
    /// connection handler (timers, drain) and the async channel the serving task reads.
    private static func initialize(
        _ channel: any Channel,
        settings: HTTPServerSettings,
        peer: @escaping () -> EventLoopFuture<HTTPPeer>
    ) -> EventLoopFuture<AcceptedHTTPConnection> {
        peer().flatMapThrowing { peer in
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = settings.maxHeaderBytes
            limits.maxHeaderListSize = settings.maxHeaderBytes
            let sync = channel.pipeline.syncOperations
            try sync.configureHTTPServerPipeline(
                withPipeliningAssistance: false,
                withErrorHandling: false,
                withOutboundHeaderValidation: true,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: limits
            )
            try sync.addHandler(
                HTTPConnectionHandler(idleTimeout: settings.idleTimeout, lingerTimeout: settings.lingerTimeout)
            )
            let asyncChannel = try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                wrappingChannelSynchronously: channel,
                configuration: .init(isOutboundHalfClosureEnabled: false)
            )
            return AcceptedHTTPConnection(
                channel: asyncChannel, peer: peer, unserved: UnservedHTTPConnection(asyncChannel)
            )
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        return "\(error)"
    }
}
