import JunctionCore

extension ConfigLoader {
    /// `[ledger]`.
    static func readLedger(_ table: ConfigTable) -> LedgerConfig {
        var ledger = LedgerConfig()
        ledger.enabled = table.bool("enabled") ?? ledger.enabled
        if let path = table.string("path") {
            if !path.hasPrefix("/") {
                table.problem("path", "must be an absolute path (or leave it out for the default location)")
            } else if path.hasSuffix("/") {
                table.problem("path", "must name a file, not a directory (e.g. \"\(path)ledger.sqlite\")")
            } else {
                ledger.path = path
            }
        }
        if let retain = table.duration("retain") {
            if retain >= .seconds(3_600) {
                ledger.retain = retain
            } else {
                table.problem("retain", "must be at least 1h (write e.g. \"90d\")")
            }
        }
        ledger.queueCapacity = table.int("queue_capacity", in: 100...10_000_000) ?? ledger.queueCapacity
        table.rejectUnknownKeys(allowed: ["enabled", "path", "retain", "queue_capacity"])
        return ledger
    }
}
