import JunctionCore

/// Every key and the channel of one deployment, under `[shared] prefix` and the scripts' version. Every key the
/// daemon writes has a TTL (the scripts and `RedisSharedState` set them).
struct SharedKeys: Sendable {
    /// Bumped whenever a script or a key's layout changes.
    static let version = "v1"

    let base: String

    init(prefix: String) {
        self.base = prefix + Self.version + ":"
    }

    var channel: String { self.base + "events" }

    /// Written by a daemon that waits for Redis to come back (it expires in seconds).
    var probe: String { self.base + "probe" }

    /// Held by the daemon that sends a health probe of `provider` (and `model`) in the current interval.
    func healthProbe(provider: String, model: String?) -> String {
        self.base + "health-probe:" + provider + "|" + (model ?? "*")
    }

    /// The minute hash and the day counter of a provider's configured limits.
    func rate(_ provider: String) -> [String] {
        let stem = self.base + "rate:" + provider
        return [stem + ":minute", stem + ":day"]
    }

    /// Day hash, month hash, held reservations, their expiries, the holds that expired unsettled and the minute
    /// of a budget; the periods are named by their start (Unix ms).
    func budget(_ slot: SharedBudgetSlot) -> [String] {
        let stem = self.base + "budget:" + slot.rule.name
        return [
            stem + ":day:\(slot.day.start)", stem + ":month:\(slot.month.start)", stem + ":held", stem + ":expiry",
            stem + ":expired", stem + ":minute",
        ]
    }

    /// The keys settlement touches: the first five of `budget`.
    static let settledKeysPerBudget = 5

    func mark(_ mark: SharedMark) -> String {
        self.base + "mark:" + mark.kind.rawValue + ":" + mark.provider + "|" + (mark.model ?? "*")
    }

    var markPattern: String { self.base + "mark:*" }

    /// The canonical cache key (tenant partition included) as hex.
    func cache(_ key: CacheKey) -> String { self.base + "cache:" + key.description }
}
