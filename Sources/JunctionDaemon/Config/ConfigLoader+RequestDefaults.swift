import JunctionCore

extension ConfigLoader {
    /// `[defaults]`.
    static func readDefaults(_ table: ConfigTable) -> RequestDefaults {
        var defaults = RequestDefaults()
        defaults.timeout = table.duration("timeout") ?? defaults.timeout
        defaults.connectTimeout = table.duration("connect_timeout") ?? defaults.connectTimeout
        defaults.firstByteTimeout = table.duration("first_byte_timeout") ?? defaults.firstByteTimeout
        defaults.ttftTimeout = table.duration("ttft_timeout") ?? defaults.ttftTimeout
        defaults.streamIdleTimeout = table.duration("stream_idle_timeout") ?? defaults.streamIdleTimeout
        defaults.maxResponseBytes = table.int("max_response_bytes", in: 1024...(1 << 31)) ?? defaults.maxResponseBytes
        defaults.maxConnectionsPerHost = table.int("max_connections_per_host", in: 1...65_536) ?? defaults.maxConnectionsPerHost
        defaults.maxIdleConnections = table.int("max_idle_connections", in: 1...65_536) ?? defaults.maxIdleConnections
        defaults.idleConnectionTimeout = table.duration("idle_connection_timeout") ?? defaults.idleConnectionTimeout
        if let proxy = Self.readProxy(table) { defaults.proxy = proxy }
        defaults.noProxy = table.string("no_proxy")
        defaults.tlsMinVersion = table.tlsVersion("tls_min_version") ?? defaults.tlsMinVersion
        defaults.policy = table.policyOverrides()
        table.rejectUnknownKeys(
            allowed: [
                "timeout", "connect_timeout", "first_byte_timeout", "ttft_timeout", "stream_idle_timeout",
                "max_response_bytes", "max_connections_per_host", "max_idle_connections", "idle_connection_timeout",
                "proxy", "no_proxy", "tls_min_version",
            ].reduce(into: ConfigTable.policyKeys) { $0.insert($1) }
        )
        return defaults
    }

    /// `proxy = "direct"` → `.some(nil)`; a URL → `.some(url)`; absent → nil.
    static func readProxy(_ table: ConfigTable) -> String?? {
        guard let proxy = table.string("proxy") else { return nil }
        if proxy == "direct" { return .some(nil) }
        let schemes = ["http://", "https://", "socks5://", "socks5h://"]
        guard schemes.contains(where: { proxy.hasPrefix($0) }) else {
            table.problem("proxy", "must be \"direct\" or a proxy URL (http://, https://, socks5://)")
            return nil
        }
        return .some(proxy)
    }
}
