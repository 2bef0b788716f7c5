/// `[cache]`: the response cache, in-flight coalescing and stale-if-error.
struct CacheConfig: Sendable, Equatable {
    /// `enabled = false`: nothing is looked up, stored or coalesced.
    var enabled = true
    /// The entries' byte budget (least recently used first out).
    var maxBytes = 268_435_456
    /// How long a stored answer is fresh.
    var ttl: Duration = .seconds(3_600)
    /// How long past its freshness an entry may still answer when every target fails; zero: never.
    var staleIfError: Duration = .seconds(86_400)
    /// Cache requests that may answer differently each time (no `temperature = 0`, no `seed`) too.
    var cacheNondeterministic = false
    /// Share entries between all callers; false: each uid has its own.
    var shared = false
    /// Identical requests in flight share one upstream call.
    var coalesce = true
}
