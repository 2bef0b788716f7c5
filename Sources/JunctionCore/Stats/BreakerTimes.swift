/// How long each breaker has been away from closed (open, then half-open while it probes). The resilience shell
/// keeps when an open interval started, but not when a half-open breaker first opened: this remembers it from the
/// snapshots that saw it open. A memory older than `staleAfter` is not trusted (the breaker may have closed and
/// opened again unseen).
public struct BreakerTimes: Sendable, Equatable {
    public static let staleAfterMilliseconds: Int64 = 60_000

    private var entries: [String: (since: Int64, seen: Int64)] = [:]

    public init() {}

    /// Notes a breaker's state at `now` (Unix ms) and answers how long it has been open or half-open (nil: closed,
    /// or half-open without a remembered opening). `openSince` is how long the current open interval has run.
    public mutating func observe(
        _ key: String, state: String, openSinceMilliseconds: Int64?, at now: Int64
    ) -> Int64? {
        if state == "closed" {
            self.entries[key] = nil
            return nil
        }
        var since: Int64?
        if let entry = self.entries[key], now - entry.seen <= Self.staleAfterMilliseconds { since = entry.since }
        if let open = openSinceMilliseconds { since = min(since ?? (now - open), now - open) }
        guard let since else {
            self.entries[key] = nil
            return nil
        }
        self.entries[key] = (since, now)
        return max(0, now - since)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.entries.count == rhs.entries.count
            && lhs.entries.allSatisfy { key, value in rhs.entries[key].map { $0 == value } ?? false }
    }
}
