#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import UnixSignals

/// Turns Unix signals into daemon actions: SIGHUP reloads; the first SIGTERM or SIGINT starts a graceful
/// shutdown (`STOPPING=1`, drain, exit 0); a second one exits at once, without draining.
///
/// The service group's own signal handling reacts to the first signal only, hence this service. It is listed
/// first in the group, so it is shut down last and keeps catching a second signal during the drain.
struct SignalService: Service {
    /// Trapped before the group starts: the server may accept connections (and systemd send a signal) before
    /// this service first runs, and an untrapped SIGTERM or SIGHUP would kill the daemon outright.
    let signals: UnixSignalsSequence
    let reloader: ConfigReloader
    let notifier: SystemdNotifier
    let logger: Logger
    let shutdown: ShutdownTrigger

    static func trappedSignals() async -> UnixSignalsSequence {
        await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup)
    }

    func run() async throws {
        var stopping = false
        for await signal in self.signals.cancelOnGracefulShutdown() {
            switch signal {
            case .sighup:
                _ = self.reloader.reload(trigger: "SIGHUP")
            default:
                if stopping {
                    self.logger.warning("second \(signal): exiting now without draining")
                    _exit(128 + signal.rawValue)
                }
                stopping = true
                self.logger.info("\(signal): shutting down gracefully (send again to exit at once)")
                await self.shutdown.trigger()
            }
        }
    }
}

/// Lets a service start the group's graceful shutdown (the group exists only after its services do).
final class ShutdownTrigger: Sendable {
    private let group = NIOLockedValueBox<ServiceGroup?>(nil)
    private let notifier: SystemdNotifier

    init(notifier: SystemdNotifier) {
        self.notifier = notifier
    }

    func attach(_ group: ServiceGroup) {
        self.group.withLockedValue { $0 = group }
    }

    func trigger() async {
        self.notifier.stopping()
        await self.group.withLockedValue { $0 }?.triggerGracefulShutdown()
    }
}

/// Keeps systemd's `STATUS=` current (`systemctl status` shows it): checks once a second, sends on change.
struct StatusService: Service {
    let runtime: DaemonRuntime
    let notifier: SystemdNotifier

    func run() async throws {
        guard self.notifier.isActive else { return }
        var last = ""
        while !Task.isShuttingDownGracefully {
            let line = self.runtime.statusLine
            if line != last {
                self.notifier.status(line)
                last = line
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            } catch {
                return
            }
        }
    }
}
