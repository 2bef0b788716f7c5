import JunctionCore

extension ConfigLoader {
    /// `[shared]`; nil when the table is unusable (its problems are reported).
    static func readShared(_ table: ConfigTable) -> SharedConfig? {
        table.rejectUnknownKeys(
            allowed: ["redis", "prefix", "timeout", "cache", "password_env", "password_file", "password_credential"]
        )
        guard let url = table.string("redis") else {
            table.problem("redis", "is missing: name the server, e.g. redis = \"redis://127.0.0.1:6379/0\"")
            return nil
        }
        let endpoint: RedisEndpoint
        do {
            endpoint = try RedisEndpoint.parse(url)
        } catch {
            table.problem("redis", error.description)
            return nil
        }
        var shared = SharedConfig(endpoint: endpoint)
        if let prefix = table.string("prefix") {
            if prefix.isEmpty || prefix.utf8.count > 64 || prefix.contains(where: { $0 == " " || $0.isNewline }) {
                table.problem("prefix", "must be 1–64 characters without spaces, e.g. \"junction:prod:\"")
            } else {
                shared.prefix = prefix
            }
        }
        if let timeout = table.duration("timeout") {
            if timeout >= .milliseconds(1) && timeout <= .seconds(5) {
                shared.timeout = timeout
            } else {
                table.problem("timeout", "must be between 1ms and 5s (it bounds how long Redis can delay a request)")
            }
        }
        shared.cache = table.bool("cache") ?? shared.cache
        var sources: [KeySource] = []
        if let variable = table.string("password_env") {
            if variable.isEmpty { table.problem("password_env", "must name an environment variable") } else {
                sources.append(.environment(variable))
            }
        }
        if let path = table.string("password_file") {
            if path.hasPrefix("/") { sources.append(.file(path)) } else {
                table.problem("password_file", "must be an absolute path such as \"/etc/junction/redis-password\"")
            }
        }
        if let credential = table.string("password_credential") {
            if credential.isEmpty || credential.contains("/") {
                table.problem("password_credential", "must be a systemd credential name, not a path")
            } else {
                sources.append(.credential(credential))
            }
        }
        if sources.count > 1 {
            table.problem("password_env", "give only one of password_env, password_file and password_credential")
        }
        shared.password = sources.first
        return shared
    }

    /// No `[shared]` table: `REDIS_URL` in the environment enables shared mode with the defaults.
    static func sharedFromEnvironment(_ environment: [String: String]) -> Result<SharedConfig, RedisEndpointError>? {
        guard let url = environment["REDIS_URL"], !url.isEmpty else { return nil }
        return Result { () throws(RedisEndpointError) in
            var shared = SharedConfig(endpoint: try RedisEndpoint.parse(url))
            shared.fromEnvironment = true
            return shared
        }
    }
}
