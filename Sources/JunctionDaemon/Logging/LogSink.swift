#if canImport(Glibc)
import Glibc
#endif
import Logging
import Synchronization

/// Where log lines go: the systemd journal with structured fields when stderr is connected to it, otherwise
/// readable text on stderr.
enum LogSink: Sendable, Equatable {
    case journal
    case stderr

    /// The journal only when `$JOURNAL_STREAM` names the very device and inode of our stderr: the variable is
    /// inherited by children whose stderr was redirected elsewhere, which must then not log to the journal.
    static func detect(environment: [String: String]) -> LogSink {
        guard let stream = environment["JOURNAL_STREAM"] else { return .stderr }
        let parts = stream.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return .stderr }
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return .stderr }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode ? .journal : .stderr
    }

    /// Installs the process-wide log handler factory. The level is shared by every logger and can change on reload.
    static func bootstrap(_ sink: LogSink, level: LogLevelBox) {
        LoggingSystem.bootstrap { label in
            switch sink {
            case .journal: JournalLogHandler(label: label, level: level)
            case .stderr: StderrLogHandler(label: label, level: level)
            }
        }
    }
}

/// The daemon-wide log level: set from config and `--log-level`, changed by reloads without new loggers.
/// Atomic, because every log statement reads it.
final class LogLevelBox: Sendable {
    private let storage: Atomic<UInt8>

    init(_ level: Logger.Level) {
        self.storage = Atomic(Self.code(level))
    }

    var level: Logger.Level {
        get { Logger.Level.allCases[Int(self.storage.load(ordering: .relaxed))] }
        set { self.storage.store(Self.code(newValue), ordering: .relaxed) }
    }

    private static func code(_ level: Logger.Level) -> UInt8 {
        UInt8(Logger.Level.allCases.firstIndex(of: level)!)
    }
}
