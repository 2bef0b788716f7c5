/// The response cache's entries: a map from `CacheKey` to answer, least-recently-used first out when the bytes
/// exceed `maxBytes`, with freshness and the stale-if-error window decided here. A value type with time passed
/// in; the daemon holds it under a lock.
public struct ResponseCacheStore: Sendable {
    /// One stored answer and its clock.
    public struct Entry: Sendable, Equatable {
        public var answer: CachedAnswer
        public var storedAt: ContinuousClock.Instant
        /// Fresh before this; after it, served only as a stale answer while every target fails.
        public var freshUntil: ContinuousClock.Instant
        public var bytes: Int

        public func age(at now: ContinuousClock.Instant) -> Duration { now - self.storedAt }
    }

    public enum Lookup: Sendable, Equatable {
        case fresh(Entry)
        /// There is an entry, but it expired (or is older than the caller's `max_age`).
        case expired
        case miss
    }

    /// The byte budget (entries' `CachedAnswer.bytes` summed).
    public var maxBytes: Int
    /// How long past its freshness an entry is kept for stale-if-error; zero: dropped once expired.
    public var staleWindow: Duration

    public private(set) var bytes = 0
    /// Entries dropped to stay within `maxBytes` (not those replaced, expired or cleared).
    public private(set) var evictions = 0

    private struct Node: Sendable {
        var entry: Entry
        /// Towards the most recently used.
        var newer: CacheKey?
        /// Towards the least recently used.
        var older: CacheKey?
    }

    private var nodes: [CacheKey: Node] = [:]
    private var newest: CacheKey?
    private var oldest: CacheKey?

    public init(maxBytes: Int, staleWindow: Duration) {
        self.maxBytes = maxBytes
        self.staleWindow = staleWindow
    }

    public var count: Int { self.nodes.count }

    /// A fresh entry for `key` (younger than `maxAge` when given), marked most recently used.
    public mutating func lookup(_ key: CacheKey, at now: ContinuousClock.Instant, maxAge: Duration? = nil) -> Lookup {
        guard let node = self.nodes[key] else { return .miss }
        if now >= node.entry.freshUntil + self.staleWindow {
            self.remove(key)
            return .miss
        }
        guard now < node.entry.freshUntil, maxAge.map({ node.entry.age(at: now) <= $0 }) ?? true else {
            return .expired
        }
        self.touch(key)
        return .fresh(node.entry)
    }

    /// An entry for `key` that expired no longer than `staleWindow` ago (or is still fresh): what stale-if-error
    /// answers with when every target failed.
    public mutating func stale(_ key: CacheKey, at now: ContinuousClock.Instant) -> Entry? {
        guard let node = self.nodes[key], self.staleWindow > .zero else { return nil }
        guard now < node.entry.freshUntil + self.staleWindow else {
            self.remove(key)
            return nil
        }
        self.touch(key)
        return node.entry
    }

    /// Stores `answer` under `key`, fresh for `ttl`, replacing what was there; evicts least recently used entries
    /// until the bytes fit. An answer bigger than the whole budget is not stored (false).
    @discardableResult
    public mutating func insert(
        _ answer: CachedAnswer,
        for key: CacheKey,
        ttl: Duration,
        at now: ContinuousClock.Instant
    ) -> Bool {
        let bytes = answer.bytes
        self.remove(key)
        guard bytes <= self.maxBytes else { return false }
        self.dropDeadTail(at: now)
        while self.bytes + bytes > self.maxBytes, let oldest = self.oldest {
            self.remove(oldest)
            self.evictions += 1
        }
        let entry = Entry(answer: answer, storedAt: now, freshUntil: now + ttl, bytes: bytes)
        self.nodes[key] = Node(entry: entry, newer: nil, older: self.newest)
        if let newest = self.newest { self.nodes[newest]?.newer = key }
        self.newest = key
        if self.oldest == nil { self.oldest = key }
        self.bytes += bytes
        return true
    }

    /// Removes every entry `matching` says so; returns how many.
    @discardableResult
    public mutating func removeAll(where matching: (CachedAnswer) -> Bool) -> Int {
        let keys = self.nodes.compactMap { matching($0.value.entry.answer) ? $0.key : nil }
        for key in keys { self.remove(key) }
        return keys.count
    }

    /// Applies new limits (a configuration reload): shrinking evicts at once.
    public mutating func setLimits(maxBytes: Int, staleWindow: Duration) {
        self.maxBytes = maxBytes
        self.staleWindow = staleWindow
        while self.bytes > self.maxBytes, let oldest = self.oldest {
            self.remove(oldest)
            self.evictions += 1
        }
    }

    /// Entries from the least recently used end that can never be served again go first: an insert looks at the
    /// tail, so dead entries do not hold bytes until the budget forces them out.
    private mutating func dropDeadTail(at now: ContinuousClock.Instant) {
        var examined = 0
        while examined < 4, let oldest = self.oldest, let node = self.nodes[oldest],
            now >= node.entry.freshUntil + self.staleWindow
        {
            self.remove(oldest)
            examined += 1
        }
    }

    private mutating func touch(_ key: CacheKey) {
        guard self.newest != key, let node = self.nodes[key] else { return }
        self.unlink(key, node)
        self.nodes[key]?.newer = nil
        self.nodes[key]?.older = self.newest
        if let newest = self.newest { self.nodes[newest]?.newer = key }
        self.newest = key
        if self.oldest == nil { self.oldest = key }
    }

    private mutating func remove(_ key: CacheKey) {
        guard let node = self.nodes[key] else { return }
        self.unlink(key, node)
        self.nodes[key] = nil
        self.bytes -= node.entry.bytes
    }

    /// Takes `key` out of the recency list (its node stays in the map).
    private mutating func unlink(_ key: CacheKey, _ node: Node) {
        if let newer = node.newer { self.nodes[newer]?.older = node.older } else { self.newest = node.older }
        if let older = node.older { self.nodes[older]?.newer = node.newer } else { self.oldest = node.newer }
    }
}
