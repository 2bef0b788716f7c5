import JunctionCore

/// The ledger's state for `daemon.status`.
struct LedgerStatus: Sendable, Equatable {
    enum State: String, Sendable {
        /// Writing, and the last write succeeded.
        case ok
        /// The last write failed (disk full, database locked, I/O error); rows wait in the queue and are retried.
        case failing
        /// The database could not be opened at start; nothing is recorded until the daemon restarts.
        case unavailable
        /// `[ledger] enabled = false`.
        case disabled
    }

    var enabled: Bool
    /// The database file; nil when the ledger is disabled.
    var path: String?
    var state: State
    /// Request rows waiting to be written.
    var queued: Int
    /// Request rows written since start (each with its attempt rows).
    var writtenRows: Int
    /// Request rows dropped since start: the queue was full, the database refused them, or the ledger is closed.
    var droppedRows: Int
    var lastError: String?
    var lastFlushMsAgo: Int64?

    var json: JSONValue {
        var object: JSONObject = [
            "enabled": .bool(self.enabled),
            "path": self.path.map(JSONValue.string) ?? .null,
            "state": .string(self.state.rawValue),
            "queued": .int(self.queued),
            "written_rows": .int(self.writtenRows),
            "dropped_rows": .int(self.droppedRows),
        ]
        if let error = self.lastError { object["last_error"] = .string(error) }
        if let ago = self.lastFlushMsAgo { object["last_flush_ms_ago"] = .int(ago) }
        return .object(object)
    }
}
