import JunctionCore

/// `[shared]`: the Redis (or Valkey) the fleet of daemons shares its limits, budgets and breakers through. Nil in
/// `DaemonConfig` when there is no `[shared]` table and no `REDIS_URL`: every daemon keeps its own state.
struct SharedConfig: Sendable, Equatable {
    var endpoint: RedisEndpoint
    /// Where the password is read from (never the config file or the URL); nil: no AUTH.
    var password: KeySource?
    var prefix = "junction:"
    /// Per operation; past it the operation is local-only.
    var timeout: Duration = .milliseconds(50)
    /// A Redis L2 behind each daemon's in-memory cache: an answer cached by one daemon is a hit on another.
    var cache = false
    /// Enabled by `REDIS_URL` rather than a `[shared]` table (the log says so).
    var fromEnvironment = false
}
