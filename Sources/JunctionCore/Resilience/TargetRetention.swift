/// Which per-target states of models outside the configuration ("dynamic targets": any `provider:model` a caller
/// names) to keep. Callers choose those names freely, so their states are bounded: at most `capacity` of them, the
/// least recently used forgotten first, and each forgotten once idle for `idleExpiry`. Pure: time is passed in,
/// and each event returns the keys whose state the shell must drop.
///
/// A state may be *held* until an instant (an open breaker until its open interval ends, a spent daily quota, a
/// blocked rate window): forgetting it earlier would let traffic through to a target known to be failing. Idle
/// expiry never forgets a held state. The capacity is a hard memory bound, so when every state is held the least
/// recently used goes anyway; that gives a caller nothing it could not have had by naming a new model.
public struct TargetRetention<Key: Hashable & Sendable>: Sendable {
    public typealias Configuration = TargetRetentionPolicy

    /// One key's place in the recency list (a doubly linked list threaded through the dictionary: O(1) use).
    private struct Entry: Sendable {
        var lastUse: ContinuousClock.Instant
        var heldUntil: ContinuousClock.Instant?
        var older: Key?
        var newer: Key?
    }

    public private(set) var configuration: Configuration
    private var entries: [Key: Entry] = [:]
    private var oldest: Key?
    private var newest: Key?

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public var count: Int { self.entries.count }

    public func contains(_ key: Key) -> Bool { self.entries[key] != nil }

    /// The keys from least to most recently used.
    public var keysByRecency: [Key] {
        var keys: [Key] = []
        keys.reserveCapacity(self.entries.count)
        var cursor = self.oldest
        while let key = cursor {
            keys.append(key)
            cursor = self.entries[key]?.newer
        }
        return keys
    }

    /// A client request used `key` (its admission or its outcome). Returns the keys to forget to stay within the
    /// capacity; never `key` itself.
    public mutating func used(_ key: Key, at now: ContinuousClock.Instant) -> [Key] {
        if var entry = self.entries[key] {
            entry.lastUse = max(entry.lastUse, now)
            self.entries[key] = entry
            self.moveToNewest(key)
            return []
        }
        var evicted: [Key] = []
        while self.entries.count >= self.configuration.capacity, let victim = self.victim(at: now) {
            self.remove(victim)
            evicted.append(victim)
        }
        self.entries[key] = Entry(lastUse: now, heldUntil: nil, older: self.newest, newer: nil)
        if let newest = self.newest { self.entries[newest]?.newer = key }
        self.newest = key
        if self.oldest == nil { self.oldest = key }
        return evicted
    }

    /// The state of `key` must not be forgotten before `until` (nil: nothing to keep it for).
    public mutating func hold(_ key: Key, until: ContinuousClock.Instant?) {
        self.entries[key]?.heldUntil = until
    }

    /// Whether a request used `key` within the idle expiry: health probes for it still run.
    public func isRecent(_ key: Key, at now: ContinuousClock.Instant) -> Bool {
        guard let entry = self.entries[key] else { return false }
        return now - entry.lastUse < self.configuration.idleExpiry
    }

    /// Removes and returns the keys idle for the expiry and not held at `now`.
    public mutating func expire(at now: ContinuousClock.Instant) -> [Key] {
        var expired: [Key] = []
        var cursor = self.oldest
        while let key = cursor, let entry = self.entries[key] {
            // The list is in order of last use: past the first recent key, every key is recent.
            guard now - entry.lastUse >= self.configuration.idleExpiry else { break }
            cursor = entry.newer
            if Self.isHeld(entry, at: now) { continue }
            self.remove(key)
            expired.append(key)
        }
        return expired
    }

    /// Takes new settings; returns the keys to forget to fit a smaller capacity.
    public mutating func reconfigure(_ configuration: Configuration, at now: ContinuousClock.Instant) -> [Key] {
        self.configuration = configuration
        var evicted: [Key] = []
        while self.entries.count > configuration.capacity, let victim = self.victim(at: now) {
            self.remove(victim)
            evicted.append(victim)
        }
        return evicted
    }

    /// Stops tracking `key` (its target became configured, or its state went away).
    public mutating func remove(_ key: Key) {
        guard let entry = self.entries.removeValue(forKey: key) else { return }
        if let older = entry.older { self.entries[older]?.newer = entry.newer } else { self.oldest = entry.newer }
        if let newer = entry.newer { self.entries[newer]?.older = entry.older } else { self.newest = entry.older }
    }

    /// The key to forget to make room: the least recently used that is not held, else the least recently used.
    private func victim(at now: ContinuousClock.Instant) -> Key? {
        var cursor = self.oldest
        while let key = cursor, let entry = self.entries[key] {
            if !Self.isHeld(entry, at: now) { return key }
            cursor = entry.newer
        }
        return self.oldest
    }

    private mutating func moveToNewest(_ key: Key) {
        guard self.newest != key, let entry = self.entries[key] else { return }
        // Unlink, then append at the newest end.
        if let older = entry.older { self.entries[older]?.newer = entry.newer } else { self.oldest = entry.newer }
        if let newer = entry.newer { self.entries[newer]?.older = entry.older }
        self.entries[key]?.older = self.newest
        self.entries[key]?.newer = nil
        if let newest = self.newest { self.entries[newest]?.newer = key }
        self.newest = key
    }

    private static func isHeld(_ entry: Entry, at now: ContinuousClock.Instant) -> Bool {
        entry.heldUntil.map { now < $0 } ?? false
    }
}

/// The bounds of `TargetRetention` (one type for every key type).
public struct TargetRetentionPolicy: Sendable, Equatable {
    /// The most dynamic targets kept at once (`resilience.max_dynamic_targets`).
    public var capacity: Int
    /// A dynamic target no request used for this long is forgotten (`resilience.dynamic_target_idle_expiry`).
    public var idleExpiry: Duration

    public init(capacity: Int = 1000, idleExpiry: Duration = .seconds(600)) {
        self.capacity = max(1, capacity)
        self.idleExpiry = idleExpiry
    }
}
