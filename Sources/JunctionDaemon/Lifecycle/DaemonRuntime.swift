#if canImport(Glibc)
import Glibc
#endif
import JunctionCore
import JunctionRPC
import Logging
import NIOConcurrencyHelpers

/// What the daemon knows about itself while running: when it started, where it listens, the configuration in
/// force, and live counters. Method handlers read it; the reloader replaces the configuration in it.
final class DaemonRuntime: Sendable {
    let startedAt = ContinuousClock.now
    let pid = getpid()
    let uid = getuid()
    let socketPath: String
    let socketActivated: Bool
    let watchdogInterval: Duration?
    let logSink: LogSink
    private let state: NIOLockedValueBox<ActiveConfiguration>
    /// A class around the closure, not the closure itself: a closure kept in the generic box came back from every
    /// `withLockedValue` wrapped in two more reabstraction thunks, so each read ran one level deeper than the last.
    private let counters = NIOLockedValueBox<CounterSource?>(nil)

    private final class CounterSource: Sendable {
        let read: @Sendable () -> LiveCounters
        init(_ read: @escaping @Sendable () -> LiveCounters) { self.read = read }
    }

    init(loaded: LoadedConfig, socketPath: String, socketActivated: Bool, watchdogInterval: Duration?, logSink: LogSink) {
        self.state = NIOLockedValueBox(ActiveConfiguration(loaded: loaded, environment: ProcessEnvironment.current()))
        self.socketPath = socketPath
        self.socketActivated = socketActivated
        self.watchdogInterval = watchdogInterval
        self.logSink = logSink
    }

    /// The configuration in force and the providers built from it, as one consistent snapshot.
    var active: ActiveConfiguration { self.state.withLockedValue { $0 } }
    var current: LoadedConfig { self.active.loaded }
    var config: DaemonConfig { self.current.config }

    /// Swaps in a new configuration; requests already running keep the snapshot they started with.
    func replaceConfig(_ loaded: LoadedConfig, environment: [String: String]) {
        let active = ActiveConfiguration(loaded: loaded, environment: environment)
        self.state.withLockedValue { $0 = active }
    }

    var uptime: Duration { ContinuousClock.now - self.startedAt }

    /// Connects the live counters (they belong to the RPC server, which is created after the runtime).
    func attachCounters(_ counters: @escaping @Sendable () -> LiveCounters) {
        let source = CounterSource(counters)
        self.counters.withLockedValue { $0 = source }
    }

    private var liveCounters: LiveCounters? { self.counters.withLockedValue { $0 }?.read() }
    var connectionCount: Int { self.liveCounters?.connections ?? 0 }
    var inflightCount: Int { self.liveCounters?.inflight ?? 0 }
    var eventSubscriberCount: Int { self.liveCounters?.eventSubscribers ?? 0 }

    /// One line for `STATUS=` and logs: `serving 3 providers, 2 connections, 1 request in flight`.
    var statusLine: String {
        let providers = self.config.providers.filter(\.enabled).count
        let connections = self.connectionCount
        let inflight = self.inflightCount
        return "serving \(providers) provider\(providers == 1 ? "" : "s"), "
            + "\(connections) connection\(connections == 1 ? "" : "s"), "
            + "\(inflight) request\(inflight == 1 ? "" : "s") in flight"
    }

    /// The server settings derived from the configuration in force now.
    var serverSettings: ServerSettings {
        let server = self.config.server
        return ServerSettings(
            limits: ConnectionLimits(
                maxLineBytes: server.maxLineBytes,
                decoding: DecodeLimits(
                    maxDepth: server.maxJSONDepth,
                    maxKeys: server.maxJSONKeys,
                    maxBatchSize: server.maxBatchSize
                ),
                maxInflight: server.maxInflightPerConnection,
                maxWriteBufferBytes: server.maxWriteBufferBytes,
                writeStallTimeout: server.writeStallTimeout
            ),
            maxConnections: server.maxConnections,
            maxConnectionsPerUID: server.maxConnectionsPerUID,
            drainTimeout: server.drainTimeout,
            socketMode: server.socketMode,
            socketGroupID: self.active.socketGroupID
        )
    }

    var adminPolicy: AdminPolicy {
        AdminPolicy(daemonUID: self.uid, adminGroupID: self.active.adminGroupID)
    }
}

/// A configuration and what was built from it, once per load (not per connection or request). A class: every
/// request holds the snapshot it started with, and a reference keeps that out of each async frame on its path.
final class ActiveConfiguration: Sendable {
    let loaded: LoadedConfig
    let registry: ProviderRegistry
    /// The routing table built from the configuration and the registry.
    let routing: RoutingTable
    /// `server.socket_group` and `server.admin_group` looked up in the group database; nil when unset or unknown.
    let socketGroupID: UInt32?
    let adminGroupID: UInt32?

    init(loaded: LoadedConfig, environment: [String: String]) {
        self.loaded = loaded
        let registry = ProviderRegistry(config: loaded.config, environment: environment)
        self.registry = registry
        self.routing = registry.routingTable(routes: loaded.config.routes)
        self.socketGroupID = loaded.config.server.socketGroup.flatMap(GroupDirectory.gid(named:))
        self.adminGroupID = loaded.config.server.adminGroup.flatMap(GroupDirectory.gid(named:))
    }
}

extension ActiveConfiguration {
    /// Every target the configuration names: each provider's listed models, default model and probe model, and
    /// every route's targets. Their resilience state is kept for good; any other target's is bounded.
    var configuredTargets: Set<TargetRef> {
        var targets = Set(self.routing.routes.flatMap(\.targets))
        for provider in self.registry.providers {
            let named = [provider.config.defaultModel, provider.policy.health.probeModel]
            let models = provider.config.models.map(\.id) + named
            for model in models.compactMap({ $0 }) { targets.insert(TargetRef(provider: provider.name, model: model)) }
        }
        return targets
    }
}

/// What `daemon.status` and `STATUS=` count live: connections, requests in flight (batch elements each count) and
/// connections subscribed to events.
struct LiveCounters: Sendable {
    var connections: Int
    var inflight: Int
    var eventSubscribers: Int
}
