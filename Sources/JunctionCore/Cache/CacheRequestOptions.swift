/// A request's own cache settings (`generate`'s `cache` param), over the daemon's `[cache]` policy.
public struct CacheRequestOptions: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        /// Read and write (the default).
        case on
        /// Neither read nor write; no coalescing, no stale answer.
        case off
        /// Read (and join a flight), never store.
        case readOnly = "read_only"
        /// Store the answer, never read.
        case writeOnly = "write_only"
        /// Skip the lookup, store the fresh answer over the old one.
        case refresh

        /// The request may be answered from the cache (a hit, or a flight it joins).
        public var reads: Bool { self == .on || self == .readOnly }
        /// The request's answer may be stored.
        public var writes: Bool { self == .on || self == .writeOnly || self == .refresh }
    }

    /// nil: the caller named no mode (`on`, within the `cache_nondeterministic` rule).
    public var mode: Mode?
    /// How long a stored answer stays fresh; nil: `[cache] ttl`.
    public var ttl: Duration?
    /// Accept only an entry younger than this; nil: any fresh entry.
    public var maxAge: Duration?
    /// A further partition within the caller's (or the shared) tenant.
    public var namespace: String?

    public init(mode: Mode? = nil, ttl: Duration? = nil, maxAge: Duration? = nil, namespace: String? = nil) {
        self.mode = mode
        self.ttl = ttl
        self.maxAge = maxAge
        self.namespace = namespace
    }
}
