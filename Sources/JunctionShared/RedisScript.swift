/// A Lua script run atomically on the server, called by SHA (loaded once per connection) and by source when the
/// server has forgotten it (`SCRIPT FLUSH`, a failover to a replica that never saw it). The version is part of
/// every key the script touches (`RedisKeys`), so two daemon versions with different scripts can run side by side
/// during a rolling upgrade without reading each other's layouts.
public struct RedisScript: Sendable, Hashable {
    public var name: String
    public var source: String

    public init(name: String, source: String) {
        self.name = name
        self.source = source
    }
}
