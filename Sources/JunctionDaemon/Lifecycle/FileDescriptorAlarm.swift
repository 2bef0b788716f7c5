#if canImport(Glibc)
import Glibc
#endif
import JunctionCore
import Logging
import NIOConcurrencyHelpers

/// The one place that says the daemon is out of file descriptors: the accept path (connections refused with
/// -32008) and the transport (sockets to providers that could not be opened) raise it, and it logs a warning at
/// most once a minute, with how often it was raised in between.
final class FileDescriptorAlarm: Sendable {
    enum Source: String, Sendable {
        /// New client connections are being refused.
        case accept
        /// A connection to a provider could not be opened; the request failed with -32008.
        case upstream
    }

    private let logger: Logger
    private let limiter: NIOLockedValueBox<OncePerInterval>
    private let raisedTotal = NIOLockedValueBox(0)

    init(logger: Logger, interval: Duration = .seconds(60)) {
        self.logger = logger
        self.limiter = NIOLockedValueBox(OncePerInterval(interval: interval))
    }

    /// How often the condition was met since the start.
    var raisedCount: Int { self.raisedTotal.withLockedValue { $0 } }

    func raise(_ source: Source, detail: String, at now: ContinuousClock.Instant = .now) {
        self.raisedTotal.withLockedValue { $0 += 1 }
        guard let heldBack = self.limiter.withLockedValue({ $0.occurred(at: now) }) else { return }
        var limit = rlimit()
        let soft = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 ? "\(limit.rlim_cur)" : "unknown"
        self.logger.warning(
            "out of file descriptors: new connections and requests that need a socket are refused with -32008",
            metadata: [
                "source": "\(source.rawValue)", "detail": "\(detail)", "fd_limit": "\(soft)",
                "since_last_warning": "\(heldBack)",
            ]
        )
    }
}
