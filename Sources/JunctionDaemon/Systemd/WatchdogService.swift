import Logging
import ServiceLifecycle

/// Pets systemd's watchdog at half its interval, but only while the daemon is demonstrably alive: the liveness
/// check must pass (the event loop answers, the request path answers an internal request). A wedged daemon
/// stops petting and systemd restarts it.
struct WatchdogService: Service {
    let interval: Duration?
    let notifier: SystemdNotifier
    let logger: Logger
    /// Returns nil when alive, or what is not answering.
    let livenessCheck: @Sendable (_ timeout: Duration) async -> String?

    func run() async throws {
        guard let interval = self.interval else { return }  // watchdog off: nothing to do
        let period = interval / 2
        self.logger.info("systemd watchdog enabled", metadata: ["ping_every_ms": "\(period.milliseconds)"])
        var failing = false
        // Runs until graceful shutdown reaches this service, which the service group does only after the RPC
        // server has drained: systemd must not kill a daemon that is shutting down properly.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if let problem = await self.livenessCheck(period / 2) {
                if !failing {
                    self.logger.critical("liveness check failed; not petting the watchdog", metadata: ["reason": "\(problem)"])
                }
                failing = true
            } else {
                if failing { self.logger.notice("liveness check passes again") }
                failing = false
                self.notifier.watchdogPing()
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: period) }
            } catch {
                return
            }
        }
    }
}
