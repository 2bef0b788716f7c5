import JunctionCore

#if canImport(Glibc)
import Glibc
#endif

/// The human-readable form of `daemon.status`.
enum StatusTable {
    static func render(_ status: JSONValue) -> String {
        func text(_ key: String) -> String {
            guard let value = status[key] else { return "-" }
            return value.stringValue ?? value.compactText
        }
        let uptime = formatUptime(.milliseconds(status["uptime_ms"]?.intValue ?? 0))
        var socket = text("socket")
        if status["socket_activated"]?.boolValue == true { socket += " (socket-activated)" }
        let watchdog = status["watchdog_ms"]?.intValue.map { formatUptime(.milliseconds($0)) } ?? "off"
        let rows: [(String, String)] = [
            ("socket", socket),
            ("config", status["config_path"]?.stringValue ?? "defaults (no configuration file)"),
            ("connections", text("connections")),
            ("in flight", text("inflight_requests")),
            ("providers", "\(text("providers")) configured, \(text("providers_enabled")) enabled"),
            ("log", "\(text("log_level")) → \(text("log_sink"))"),
            ("watchdog", watchdog),
            ("libcurl", text("libcurl")),
            ("ledger", Self.ledger(status["ledger"])),
            ("shared", Self.shared(status["shared"])),
        ]
        var lines = ["junctiond \(text("version"))  pid \(text("pid"))  up \(uptime)"]
        for (label, value) in rows {
            lines.append("  " + label + String(repeating: " ", count: max(1, 14 - label.count)) + value)
        }
        return lines.joined(separator: "\n")
    }

    /// `connected to redis://10.0.0.5:6379/0, 1520 operations in 900 round trips`, or
    /// `DEGRADED (local limits) for 12 s: connection: ... (redis://...)`, or `off (this daemon's state only)`.
    static func shared(_ shared: JSONValue?) -> String {
        guard let shared, let state = shared["state"]?.stringValue, state != "disabled" else {
            return "off (this daemon's state only)"
        }
        let redis = shared["redis"]?.stringValue ?? "?"
        if state == "connected" {
            return "connected to \(redis), \(shared["operations"]?.intValue ?? 0) operations in "
                + "\(shared["round_trips"]?.intValue ?? 0) round trips"
        }
        let since = shared["degraded_for_ms"]?.intValue.map { " for \(formatUptime(.milliseconds($0)))" } ?? ""
        return "DEGRADED (limits, budgets and breakers hold per daemon)\(since): "
            + "\(shared["last_error"]?.stringValue ?? "no answer") (\(redis))"
    }

    /// `ok, 1204 rows written, 0 dropped, 3 queued (/var/lib/junction/ledger.sqlite)`, or why it is not writing.
    static func ledger(_ ledger: JSONValue?) -> String {
        guard let ledger, let state = ledger["state"]?.stringValue else { return "-" }
        let path = ledger["path"]?.stringValue.map { " (\($0))" } ?? ""
        switch state {
        case "disabled": return "disabled"
        case "unavailable": return "unavailable: \(ledger["last_error"]?.stringValue ?? "unknown error")\(path)"
        default:
            var text = "\(state), \(ledger["written_rows"]?.intValue ?? 0) rows written, "
                + "\(ledger["dropped_rows"]?.intValue ?? 0) dropped, \(ledger["queued"]?.intValue ?? 0) queued"
            if state == "failing", let error = ledger["last_error"]?.stringValue { text += ": \(error)" }
            return text + path
        }
    }
}

/// `3d4h`, `5m12s`, `42s`, `850ms`.
func formatUptime(_ duration: Duration) -> String {
    let milliseconds = duration.milliseconds
    if milliseconds < 1_000 { return "\(milliseconds)ms" }
    var seconds = milliseconds / 1_000
    let days = seconds / 86_400
    seconds %= 86_400
    let hours = seconds / 3_600
    seconds %= 3_600
    let minutes = seconds / 60
    seconds %= 60
    if days > 0 { return "\(days)d\(hours)h" }
    if hours > 0 { return "\(hours)h\(minutes)m" }
    if minutes > 0 { return "\(minutes)m\(seconds)s" }
    return "\(seconds)s"
}

func formatMilliseconds(_ duration: Duration) -> String {
    let microseconds = duration.microseconds
    return "\(microseconds / 1_000).\(String(microseconds % 1_000 / 10).leftPadded(to: 2)) ms"
}

extension String {
    func leftPadded(to width: Int) -> String {
        self.count >= width ? self : String(repeating: "0", count: width - self.count) + self
    }
}

func writeStderr(_ text: String) {
    var bytes = Array(text.utf8)
    bytes.withUnsafeMutableBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

func readStandardInput() -> String {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
        if count < 0, errno == EINTR { continue }
        if count <= 0 { break }
        bytes.append(contentsOf: chunk[0..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
}
