extension ConfigLoader {
    /// `[log]`.
    static func readLog(_ table: ConfigTable) -> LogConfig {
        var log = LogConfig()
        log.prompts = table.bool("prompts") ?? log.prompts
        table.rejectUnknownKeys(allowed: ["prompts"])
        return log
    }
}
