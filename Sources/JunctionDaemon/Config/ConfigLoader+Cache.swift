import JunctionCore

extension ConfigLoader {
    /// `[cache]`.
    static func readCache(_ table: ConfigTable) -> CacheConfig {
        var cache = CacheConfig()
        cache.enabled = table.bool("enabled") ?? cache.enabled
        cache.maxBytes = table.int("max_bytes", in: 0...(1 << 40)) ?? cache.maxBytes
        if let ttl = table.duration("ttl") {
            if ttl >= .seconds(1) {
                cache.ttl = ttl
            } else {
                table.problem(
                    "ttl", "must be at least 1s (write e.g. \"1h\"; set enabled = false to turn the cache off)"
                )
            }
        }
        cache.staleIfError = table.duration("stale_if_error") ?? cache.staleIfError
        cache.cacheNondeterministic = table.bool("cache_nondeterministic") ?? cache.cacheNondeterministic
        cache.shared = table.bool("shared") ?? cache.shared
        cache.coalesce = table.bool("coalesce") ?? cache.coalesce
        table.rejectUnknownKeys(
            allowed: ["enabled", "max_bytes", "ttl", "stale_if_error", "cache_nondeterministic", "shared", "coalesce"]
        )
        return cache
    }
}
