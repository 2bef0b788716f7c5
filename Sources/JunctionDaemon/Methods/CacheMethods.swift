import JunctionCore
import JunctionRPC

/// `cache.stats` and `admin.cache.clear`.
enum CacheMethods {
    static func all(cache: ResponseCache, flights: @escaping @Sendable () -> Int) -> [RPCMethod] {
        [
            RPCMethod("cache.stats") { params, _ in
                _ = try Params(params, known: [])
                return self.encode(cache.stats, inFlight: flights())
            },
            RPCMethod("admin.cache.clear") { params, _ in
                let params = try Params(params, known: ["namespace", "model"])
                let namespace = try params.string("namespace")
                let model = try params.string("model")
                let removed = cache.clear(namespace: namespace, model: model)
                return [
                    "removed": .int(removed), "namespace": namespace.map(JSONValue.string) ?? .null,
                    "model": model.map(JSONValue.string) ?? .null,
                ]
            },
        ]
    }

    static func encode(_ stats: ResponseCache.Stats, inFlight: Int) -> JSONValue {
        // Joiners of a flight count as hits: they were answered without a call of their own.
        let served = stats.hits + stats.coalescedJoins
        let lookups = served + stats.misses
        return [
            "enabled": .bool(stats.enabled),
            "entries": .int(stats.entries),
            "bytes": .int(stats.bytes),
            "max_bytes": .int(stats.maxBytes),
            "hits": .int(stats.hits),
            "misses": .int(stats.misses),
            "hit_ratio": lookups == 0 ? .null : .double(Double(served) / Double(lookups)),
            "stale_serves": .int(stats.staleServes),
            "coalesced_joins": .int(stats.coalescedJoins),
            // Hits answered from the fleet's L2 ([shared] cache = true), counted in hits too.
            "shared_hits": .int(stats.sharedHits),
            "in_flight": .int(inFlight),
            "stores": .int(stats.stores),
            "evictions": .int(stats.evictions),
            "saved_usd": .usd(stats.savedMicroUSD),
            "saved_unknown": .int(stats.savedUnknown),
        ]
    }
}
