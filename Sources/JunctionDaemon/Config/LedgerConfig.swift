/// `[ledger]`: the durable record of every request and billed attempt.
struct LedgerConfig: Sendable, Equatable {
    /// `enabled = false` turns the ledger off: nothing is written and the usage methods say so.
    var enabled = true
    /// The SQLite file; nil: the default for how the daemon runs (see `LedgerLocation`).
    var path: String?
    /// Rows older than this are deleted (at start and once a day).
    var retain: Duration = .seconds(90 * 86_400)
    /// Requests waiting to be written, at most; past that new rows are dropped (and counted), never waited for.
    var queueCapacity = 10_000
}

/// Where the ledger lives when `[ledger] path` does not say.
enum LedgerLocation {
    static let fileName = "ledger.sqlite"

    /// `path` from the config wins, then `$STATE_DIRECTORY` (systemd's `StateDirectory=`), then
    /// `/var/lib/junction` for root, then `$XDG_STATE_HOME/junction`, then `~/.local/state/junction` (the XDG
    /// default), then `/tmp/junction-UID` for a user without a home.
    static func resolve(configured: String?, environment: [String: String], uid: UInt32) -> String {
        if let configured { return configured }
        if let state = environment["STATE_DIRECTORY"]?.split(separator: ":").first, !state.isEmpty {
            return "\(state)/\(Self.fileName)"
        }
        if uid == 0 { return "/var/lib/junction/\(Self.fileName)" }
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") { return "\(xdg)/junction/\(Self.fileName)" }
        if let home = environment["HOME"], home.hasPrefix("/"), home != "/" {
            return "\(home)/.local/state/junction/\(Self.fileName)"
        }
        return "/tmp/junction-\(uid)/\(Self.fileName)"
    }
}
