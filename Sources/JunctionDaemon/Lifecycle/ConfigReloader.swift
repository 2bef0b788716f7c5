import JunctionCore
import Logging
import NIOConcurrencyHelpers

/// Re-reads the configuration (SIGHUP or `admin.reload`). A valid new configuration replaces the old one
/// whole; an invalid one is reported in full and the old one keeps serving. In-flight requests are never
/// touched: they hold the values they started with.
final class ConfigReloader: Sendable {
    private let resilience: Resilience
    private let budgets: Budgets?
    private let runtime: DaemonRuntime
    private let dispatcher: RPCDispatcher
    private let notifier: SystemdNotifier
    private let logger: Logger
    private let logLevel: LogLevelBox
    /// The file to read: the one given with `--config`, else the default path.
    private let path: String
    private let pathRequired: Bool
    /// `--log-level` pins the level; the config's `log_level` then does not apply.
    private let pinnedLogLevel: Logger.Level?
    private let lock = NIOLock()

    init(
        resilience: Resilience,
        runtime: DaemonRuntime,
        dispatcher: RPCDispatcher,
        notifier: SystemdNotifier,
        logger: Logger,
        logLevel: LogLevelBox,
        path: String,
        pathRequired: Bool,
        pinnedLogLevel: Logger.Level?,
        budgets: Budgets? = nil
    ) {
        self.budgets = budgets
        self.resilience = resilience
        self.runtime = runtime
        self.dispatcher = dispatcher
        self.notifier = notifier
        self.logger = logger
        self.logLevel = logLevel
        self.path = path
        self.pathRequired = pathRequired
        self.pinnedLogLevel = pinnedLogLevel
    }

    /// Reloads and returns the configuration now in force, or the problems that kept the old one in place.
    func reload(trigger: String) -> Result<LoadedConfig, ConfigErrors> {
        self.lock.withLock {
            self.notifier.reloading()
            self.logger.info("reloading configuration", metadata: ["trigger": "\(trigger)", "path": "\(self.path)"])
            defer { self.notifier.ready(status: self.runtime.statusLine) }
            let environment = ProcessEnvironment.current()
            let attempt = Result { () throws(ConfigErrors) in
                try ConfigLoader.load(
                    path: self.path,
                    required: self.pathRequired,
                    environment: environment,
                    localOllama: { LoopbackProbe.accepts(port: 11434) }
                )
            }
            let loaded: LoadedConfig
            switch attempt {
            case .success(let value):
                loaded = value
            case .failure(let error):
                for problem in error.problems {
                    self.logger.error("reload rejected: \(problem)", metadata: ["trigger": "\(trigger)"])
                }
                self.logger.warning("configuration unchanged; the previous configuration keeps serving")
                return .failure(error)
            }
            let previous = self.runtime.config
            self.runtime.replaceConfig(loaded, environment: environment)
            self.resilience.configure(self.runtime.active, reloaded: true)
            // Budgets whose name and match are unchanged keep their counts under the new limits.
            self.budgets?.configure(loaded.config.accounting)
            self.dispatcher.updateAdminPolicy(self.runtime.adminPolicy)
            if self.pinnedLogLevel == nil { self.logLevel.level = loaded.config.server.logLevel }
            for warning in loaded.warnings { self.logger.warning("\(warning)") }
            if let summary = loaded.environmentSummary { self.logger.notice("\(summary)") }
            if previous.server.socket != loaded.config.server.socket
                || previous.server.socketMode != loaded.config.server.socketMode
                || previous.server.socketGroup != loaded.config.server.socketGroup
            {
                self.logger.notice("socket path, mode and group changes take effect at the next restart")
            }
            // The HTTP listener is bound once, at start (admin.reload does not rebind it).
            if previous.http != loaded.config.http {
                self.logger.warning("[http] changes take effect at the next restart; the listener keeps its settings")
            }
            // The writer, its file and its queue are made once, at start.
            if previous.ledger != loaded.config.ledger {
                self.logger.notice("[ledger] changes take effect at the next restart")
            }
            // The shared state's connection and threads are made once, at start.
            if previous.shared != loaded.config.shared {
                self.logger.warning("[shared] changes take effect at the next restart; the daemon keeps its Redis")
            }
            self.logger.info(
                "configuration reloaded",
                metadata: ["providers": "\(loaded.config.providers.count)", "source": "\(loaded.path ?? "defaults")"]
            )
            return .success(loaded)
        }
    }
}
