/// A Lua script run atomically on the server, called by SHA (loaded once per connection) and by source when the
/// server has forgotten it (`SCRIPT FLUSH`, a failover to a replica that never saw it). The version is part of
/// every key the script touches (`RedisKeys`), so two daemon versions with different scripts can run side by side
/// during a rolling upgrade without reading each other's layouts.
public struct RedisScript: Sendable, Hashable {
    public var name: String
    public var source: String
    /// Set for a script that decides many items in one call: its `ARGV` is `[shared count, shared…, items…]` with
    /// `itemWidth` arguments per item, and its reply an array with one entry per item. The client sends every item
    /// queued for one round trip with the same keys and shared arguments as one call (`RedisClient.evaluate(_:
    /// keys:shared:item:)`), so Redis runs one script where it would run one per caller.
    public var itemWidth: Int?

    public init(name: String, source: String, itemWidth: Int? = nil) {
        self.name = name
        self.source = source
        self.itemWidth = itemWidth
    }
}
