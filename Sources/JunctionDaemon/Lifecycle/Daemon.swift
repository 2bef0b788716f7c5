#if canImport(Glibc)
import Glibc
#endif
import CSystemd
import JunctionCore
import JunctionProviders
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import ServiceLifecycle

/// How `junctiond` was asked to run (its command line, already parsed).
public struct DaemonOptions: Sendable {
    public var configPath: String?
    public var socketPath: String?
    public var logLevel: String?

    public init(configPath: String? = nil, socketPath: String? = nil, logLevel: String? = nil) {
        self.configPath = configPath
        self.socketPath = socketPath
        self.logLevel = logLevel
    }
}

/// Why the daemon could not start; `exitCode` follows sysexits (78: configuration problem, which the systemd
/// unit excludes from restarts).
public struct DaemonStartupError: Error, CustomStringConvertible {
    public var description: String
    public var exitCode: Int32
}

/// The whole daemon: configuration, logging, the RPC server and the systemd integration, run as one
/// `ServiceGroup` until shutdown.
public enum Daemon {
    /// Validates a configuration file and prints what is wrong with it (`junctiond --check-config`).
    /// Returns the process exit status: 0 valid, 1 invalid.
    public static func checkConfig(options: DaemonOptions) -> Int32 {
        let environment = ProcessEnvironment.current()
        let path = options.configPath ?? ConfigLoader.defaultPath
        // The command line is part of what is checked: a level the daemon would refuse makes the check fail too.
        var problems: [String] = []
        if let level = options.logLevel, Logger.Level(configName: level) == nil {
            problems.append("--log-level: must be one of \(Logger.Level.configNames), got \"\(level)\"")
        }
        do {
            let loaded = try ConfigLoader.load(path: path, required: true, environment: environment)
            for warning in loaded.warnings { printError("warning: \(warning)") }
            if problems.isEmpty {
                print("\(path): configuration is valid (\(loaded.config.providers.count) providers)")
                return 0
            }
        } catch {
            problems += error.problems.map(\.description)
        }
        for problem in problems { printError("error: \(problem)") }
        printError("\(path): \(problems.count) problem\(problems.count == 1 ? "" : "s") found")
        return 1
    }

    /// Runs the daemon until it is told to stop. Throws only when it cannot start.
    public static func run(options: DaemonOptions) async throws {
        signal(SIGPIPE, SIG_IGN)
        // One malloc arena per thread (glibc's default, up to 8 per core) keeps freed memory scattered after a
        // burst; two arenas hold the resident set of a long-running daemon down at no measurable cost.
        let environment = ProcessEnvironment.current()
        if environment["MALLOC_ARENA_MAX"] == nil { _ = junction_limit_malloc_arenas(2) }  // the operator's setting wins
        let configPath = options.configPath ?? ConfigLoader.defaultPath
        let loaded: LoadedConfig
        do {
            loaded = try ConfigLoader.load(
                path: configPath,
                required: options.configPath != nil,
                environment: environment,
                localOllama: { LoopbackProbe.accepts(port: 11434) }
            )
        } catch {
            throw DaemonStartupError(description: error.description, exitCode: 78)
        }
        var pinnedLevel: Logger.Level?
        if let name = options.logLevel {
            guard let level = Logger.Level(configName: name) else {
                throw DaemonStartupError(
                    description: "--log-level must be one of \(Logger.Level.configNames)",
                    exitCode: 64
                )
            }
            pinnedLevel = level
        }

        let sink = LogSink.detect(environment: environment)
        let logLevel = LogLevelBox(pinnedLevel ?? loaded.config.server.logLevel)
        LogSink.bootstrap(sink, level: logLevel)
        let logger = Logger(label: "junctiond")
        if loaded.path == nil {
            logger.notice(
                "no configuration file; running on defaults",
                metadata: ["looked_for": "\(configPath)", "providers_from_environment": "\(loaded.config.providers.count)"]
            )
        }
        for warning in loaded.warnings { logger.warning("\(warning)") }
        if let summary = loaded.environmentSummary { logger.notice("\(summary)") }

        let notifier = SystemdNotifier(environment: environment)
        let activatedFD = SystemdNotifier.activatedSocket()
        let socketPath = SocketLocation.resolve(
            commandLine: options.socketPath,
            configured: loaded.config.server.socket,
            environment: environment,
            uid: getuid()
        )
        let source: ListenerSource =
            activatedFD.map { .activated(fd: $0, path: SocketFile.boundPath(of: $0)) } ?? .path(socketPath)
        let runtime = DaemonRuntime(
            loaded: loaded,
            socketPath: source.displayPath,
            socketActivated: activatedFD != nil,
            watchdogInterval: SystemdNotifier.watchdogInterval(),
            logSink: sink
        )
        logger.info(
            "starting junctiond \(JunctionVersion.current)",
            metadata: [
                "pid": "\(runtime.pid)", "config": "\(loaded.path ?? "defaults")", "log_sink": "\(sink)",
                "curl": "\(CurlRuntime.versionDescription)",
            ]
        )

        let fileDescriptorAlarm = FileDescriptorAlarm(logger: logger)
        let defaults = loaded.config.defaults
        let transport = Transport(
            configuration: Transport.Configuration(
                maxConnectionsPerHost: defaults.maxConnectionsPerHost,
                maxIdleConnections: defaults.maxIdleConnections,
                idleConnectionLifetime: defaults.idleConnectionTimeout,
                incidents: { incident in
                    switch incident {
                    case .outOfFileDescriptors(let detail): fileDescriptorAlarm.raise(.upstream, detail: detail)
                    case .optionRefused(let detail):
                        logger.error("libcurl refused an option", metadata: ["detail": "\(detail)"])
                    }
                }
            )
        )
        let events = EventBus()
        let sharedState = Self.sharedState(loaded.config.shared, environment: environment, logger: logger)
        let resilience = Resilience(events: events, logger: logger, shared: sharedState)
        sharedState?.onMark { mark in resilience.adopt(mark) }
        resilience.configure(runtime.active, reloaded: false)
        // Opened before the socket: a ledger that cannot be opened is reported, and the daemon serves without it.
        let ledger = LedgerWriter.open(
            config: loaded.config.ledger, environment: environment, uid: getuid(), logger: logger
        )
        let budgets = Budgets(
            config: loaded.config.accounting, events: events, logger: logger, shared: sharedState
        )
        if let store = ledger.store {
            // Seeded before the socket listens: a restart does not reset what the current periods have spent.
            await budgets.attachSpendSource { match, since in await store.spend(since: since, matching: match) }
        }
        let unknownPrices = UnknownPrices(logger: logger)
        let cache = ResponseCache(configuration: { runtime.config.cache }, shared: sharedState)
        let stats = StatsCollector(calendar: { budgets.calendar })
        if let store = ledger.store {
            // Seeded before the socket listens, like the budgets: a restart zeroes neither today's cost nor ratings.
            await stats.seed(from: store, now: LedgerWriter.wallClockMilliseconds(), logger: logger)
        }
        let metrics = MetricsRecorder(configuration: { runtime.active })
        let exporter = MetricsExporter(
            recorder: metrics,
            sources: MetricsExporter.Sources(
                resilience: { resilience.metricsState(registry: runtime.active.registry) },
                budgets: { budgets.statusOfAll() },
                cache: { cache.stats },
                live: {
                    LiveCounters(
                        connections: runtime.connectionCount, inflight: runtime.inflightCount, eventSubscribers: 0
                    )
                },
                ledgerDroppedRows: { ledger.status.droppedRows },
                shared: { sharedState?.health ?? .disabled }
            )
        )
        // One outcome report, every consumer a subscriber: budgets settle first (so that the result shows what is
        // left), then the ledger, the request log, the unknown-price warnings, the cache and the metrics.
        let reporter = OutcomeReporter(
            resilience: resilience,
            subscribers: [
                budgets, LedgerRecorder(writer: ledger),
                RequestLog(logger: logger, logsPrompts: { runtime.config.log.prompts }), unknownPrices, cache, metrics,
                stats,
            ]
        )
        let gateway = Gateway(
            configuration: { runtime.active }, executor: transport, resilience: resilience, reporter: reporter,
            budgets: budgets, cache: cache, logger: logger
        )
        // `stats.snapshot`; `snapshot.source` is the same JSON as a closure, for the HTTP listener's /api/stats.
        let snapshot = StatsSnapshot(
            runtime: runtime, stats: stats, resilience: resilience, budgets: budgets, cache: cache,
            flights: { gateway.flightsInProgress }, ledger: ledger
        )
        let feedback = FeedbackRecorder(ledger: ledger, stats: stats, observers: [metrics])
        let reloaderBox = NIOLockedValueBox<ConfigReloader?>(nil)
        let dispatcher = RPCDispatcher(
            methods: MethodCatalog.all(
                runtime: runtime,
                reloader: { reloaderBox.withLockedValue { $0 } },
                gateway: gateway,
                transport: transport,
                resilience: resilience,
                events: events,
                ledger: ledger,
                budgets: budgets,
                unknownPrices: unknownPrices,
                cache: cache,
                metrics: exporter,
                utcOffsetSeconds: { at in budgets.calendar.utcOffsetSeconds(at: at) },
                snapshot: snapshot,
                feedback: feedback
            ),
            adminPolicy: runtime.adminPolicy,
            logger: logger
        )
        if let group = loaded.config.server.adminGroup, GroupDirectory.gid(named: group) == nil {
            logger.warning("admin_group \"\(group)\" does not exist; only root and the daemon's user may call admin.*")
        }
        let reloader = ConfigReloader(
            resilience: resilience,
            runtime: runtime,
            dispatcher: dispatcher,
            notifier: notifier,
            logger: logger,
            logLevel: logLevel,
            path: configPath,
            pathRequired: options.configPath != nil,
            pinnedLogLevel: pinnedLevel,
            budgets: budgets
        )
        reloaderBox.withLockedValue { $0 = reloader }

        let readiness = DaemonReadiness()
        let server = RPCServer(
            source: source,
            settings: { runtime.serverSettings },
            dispatcher: dispatcher,
            events: events,
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: logger,
            fileDescriptorAlarm: fileDescriptorAlarm,
            onListening: { _ in
                readiness.markStarted()
                notifier.ready(status: runtime.statusLine)
                logger.info("ready", metadata: ["startup_ms": "\(runtime.uptime.milliseconds)"])
            }
        )
        runtime.attachCounters {
            LiveCounters(
                connections: server.connectionCount,
                inflight: server.inflightCount,
                eventSubscribers: events.subscriberCount
            )
        }

        let shutdown = ShutdownTrigger(notifier: notifier)
        let watchdog = WatchdogService(
            interval: runtime.watchdogInterval,
            notifier: notifier,
            logger: logger,
            livenessCheck: { timeout in await Self.livenessProblem(server: server, transport: transport, timeout: timeout) }
        )
        // `[http]`: bound here, so that an address in use stops the start with its name. The listener is for
        // operators: /api/stats lists every budget, as stats.snapshot does for administrators.
        let http = try await Self.operatorHTTPServer(
            runtime: runtime, resilience: resilience, readiness: readiness,
            liveness: { await Self.livenessProblem(server: server, transport: transport, timeout: .seconds(2)) },
            metrics: { exporter.exposition() }, stats: snapshot.source, gateway: gateway,
            transport: transport, logger: logger
        )
        let signals = await SignalService.trappedSignals()
        // Graceful shutdown runs in reverse order: the server drains first, the signal handler goes last.
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(
                        service: SignalService(
                            signals: signals, reloader: reloader, notifier: notifier, logger: logger, shutdown: shutdown
                        )
                    ),
                    .init(service: StatusService(runtime: runtime, notifier: notifier), successTerminationBehavior: .ignore),
                    .init(service: watchdog, successTerminationBehavior: .ignore),
                    .init(service: TransportService(transport: transport)),
                    .init(
                        service: HealthMonitorService(
                            runtime: runtime, prober: Prober(transport: transport, resilience: resilience), resilience: resilience,
                            logger: logger
                        ),
                        successTerminationBehavior: .ignore
                    ),
                    .init(
                        service: MemoryTrimService(
                            runtime: runtime, dispatchedCount: { dispatcher.dispatchedCount }, logger: logger
                        ),
                        successTerminationBehavior: .ignore
                    ),
                    // Before the server: at shutdown the server drains first, then the ledger writes what is queued.
                    .init(service: ledger),
                ] + (sharedState.map { [.init(service: $0)] } ?? []) + [
                    .init(service: server, successTerminationBehavior: .gracefullyShutdownGroup),
                    // Last: at shutdown it drains first, so that /readyz turns 503 as soon as SIGTERM arrives.
                ] + (http.map { [.init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup)] } ?? []),
                logger: logger
            )
        )
        shutdown.attach(group)
        do {
            try await group.run()
        } catch {
            throw DaemonStartupError(description: Self.describe(error), exitCode: 1)
        }
        logger.info("stopped")
    }

    /// The fleet's shared state (`[shared]` or `REDIS_URL`); nil when this daemon runs alone. A password that
    /// cannot be read is logged (where it was looked for, never a value) and the daemon runs alone.
    static func sharedState(
        _ config: SharedConfig?,
        environment: [String: String],
        logger: Logger
    ) -> RedisSharedState? {
        guard let config else { return nil }
        var password: String?
        if let source = config.password {
            switch source.read(environment: environment) {
            case .success(let secret): password = secret
            case .failure(let problem):
                logger.error(
                    "shared state disabled: the Redis password cannot be read; this daemon keeps its own state",
                    metadata: ["reason": "\(problem)"]
                )
                return nil
            }
        }
        if config.fromEnvironment {
            let defaults = "prefix \"\(config.prefix)\", timeout \(DurationText.format(config.timeout))"
            logger.notice(
                "shared state enabled by REDIS_URL (no [shared] table), with the defaults: \(defaults)",
                metadata: ["redis": "\(config.endpoint)"]
            )
        }
        return RedisSharedState(
            config: config, password: password, logger: logger, wallClock: { WallClock.nowMilliseconds() }
        )
    }

    /// The watchdog's liveness check: the socket's event loop runs a task, the libcurl thread turns its loop,
    /// and the Swift concurrency pool starts a task, each within `timeout`. Returns what failed, or nil.
    static func livenessProblem(server: RPCServer, transport: Transport, timeout: Duration) async -> String? {
        guard await server.eventLoopAnswers(within: timeout) else { return "event loop did not answer" }
        guard await transport.answers(within: timeout) else { return "the libcurl thread did not answer" }
        let answered = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await Task.detached { true }.value }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        return answered ? nil : "request tasks are not being scheduled"
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? ServiceGroupError { return "\(error)" }
        return "\(error)"
    }
}

/// Writes a line to stderr in one write(2), for messages before logging is set up.
public func printError(_ text: String) {
    var line = Array((text + "\n").utf8)
    line.withUnsafeMutableBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
