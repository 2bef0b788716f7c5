#if canImport(Glibc)
import Glibc
#endif
import CSystemd

/// Talks to the service manager through `$NOTIFY_SOCKET` (`sd_notify`). A no-op when not run by systemd.
struct SystemdNotifier: Sendable {
    /// Whether a notify socket was given; messages are dropped otherwise.
    let isActive: Bool

    init(environment: [String: String]) {
        self.isActive = environment["NOTIFY_SOCKET"]?.isEmpty == false
    }

    /// Sends newline-separated `KEY=VALUE` assignments. Thread-safe.
    @discardableResult
    func notify(_ assignments: String) -> Bool {
        guard self.isActive else { return false }
        return sd_notify(0, assignments) > 0
    }

    func ready(status: String) { self.notify("READY=1\nSTATUS=\(status)") }
    func status(_ text: String) { self.notify("STATUS=\(text)") }
    func stopping() { self.notify("STOPPING=1\nSTATUS=draining and stopping") }
    func watchdogPing() { self.notify("WATCHDOG=1") }

    /// `RELOADING=1` with the monotonic timestamp newer systemd versions expect (older ones ignore it).
    func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let microseconds = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
        self.notify("RELOADING=1\nMONOTONIC_USEC=\(microseconds)")
    }

    /// The watchdog interval systemd expects pings within, when it is enabled for this process.
    static func watchdogInterval() -> Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(microseconds))
    }

    /// The listening socket systemd passed (socket activation), if any. Only the first is used.
    static func activatedSocket() -> Int32? {
        let count = sd_listen_fds(1)
        guard count >= 1 else { return nil }
        return SD_LISTEN_FDS_START
    }
}
