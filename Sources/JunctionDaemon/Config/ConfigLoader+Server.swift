import Logging

extension ConfigLoader {
    /// `[server]`.
    static func readServer(_ table: ConfigTable) -> ServerConfig {
        var server = ServerConfig()
        if let socket = table.string("socket") {
            if socket.hasPrefix("/") { server.socket = socket } else { table.problem("socket", "must be an absolute path") }
        }
        if let mode = table.value("socket_mode") {
            let parsed: UInt32? =
                switch mode {
                case .string(let text): UInt32(text.hasPrefix("0o") ? String(text.dropFirst(2)) : text, radix: 8)
                case .int(let number): UInt32(exactly: number)
                default: nil
                }
            if let parsed, parsed <= 0o777 {
                server.socketMode = parsed
            } else {
                table.problem("socket_mode", "must be an octal file mode such as \"0660\"")
            }
        }
        server.socketGroup = table.string("socket_group")
        server.adminGroup = table.string("admin_group")
        server.maxConnections = table.int("max_connections", in: 1...1_000_000) ?? server.maxConnections
        server.maxConnectionsPerUID =
            table.int("max_connections_per_uid", in: 1...1_000_000) ?? server.maxConnectionsPerUID
        server.maxLineBytes = table.int("max_line_bytes", in: 1024...(1 << 30)) ?? server.maxLineBytes
        server.maxInflightPerConnection =
            table.int("max_inflight_per_connection", in: 1...1_000_000) ?? server.maxInflightPerConnection
        server.maxJSONDepth = table.int("max_json_depth", in: 4...10_000) ?? server.maxJSONDepth
        server.maxJSONKeys = table.int("max_json_keys", in: 16...10_000_000) ?? server.maxJSONKeys
        server.maxBatchSize = table.int("max_batch_size", in: 1...1_000_000) ?? server.maxBatchSize
        server.maxWriteBufferBytes =
            table.int("max_write_buffer_bytes", in: 65_536...(1 << 31)) ?? server.maxWriteBufferBytes
        if let stall = table.duration("write_stall_timeout") {
            if stall >= .milliseconds(100) {
                server.writeStallTimeout = stall
            } else {
                table.problem("write_stall_timeout", "must be at least 100ms")
            }
        }
        server.drainTimeout = table.duration("drain_timeout") ?? server.drainTimeout
        if let level = table.string("log_level") {
            if let parsed = Logger.Level(configName: level) {
                server.logLevel = parsed
            } else {
                table.problem("log_level", "must be one of \(Logger.Level.configNames), got \"\(level)\"")
            }
        }
        table.rejectUnknownKeys(allowed: [
            "socket", "socket_mode", "socket_group", "admin_group", "max_connections", "max_connections_per_uid",
            "max_line_bytes", "max_inflight_per_connection", "max_json_depth", "max_json_keys", "max_batch_size",
            "max_write_buffer_bytes", "write_stall_timeout", "drain_timeout", "log_level",
        ])
        return server
    }
}
