/// Where Redis (or Valkey) listens, from a `redis://` or `unix://` URL. The password never comes from the URL
/// (`[shared] password_env` and friends): a URL is logged, and copied into shell histories and process lists.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    public enum Address: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unix(path: String)
        /// Sentinels (`host:port`, tried in order) that name the current master of `master`.
        case sentinel(hosts: [SentinelHost], master: String)
    }

    public struct SentinelHost: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        public var description: String {
            self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
        }
    }

    public var address: Address
    public var database: Int
    /// ACL user name (`redis://user@host`); nil uses `AUTH password` alone.
    public var username: String?

    public init(address: Address, database: Int = 0, username: String? = nil) {
        self.address = address
        self.database = database
        self.username = username
    }

    /// Parses `redis://[user@]host[:port][/db]`, `unix:///path/to.sock[?db=N]` and
    /// `redis+sentinel://[user@]host[:port][,host[:port]…]/master[/db]` (sentinels default to port 26379); the
    /// error says what is wrong and what is accepted.
    public static func parse(_ url: String) throws(RedisEndpointError) -> RedisEndpoint {
        if url.hasPrefix("rediss://") {
            throw RedisEndpointError(
                url: url,
                problem: "TLS (rediss://) needs hiredis_ssl, which Debian 12's libhiredis 0.14 does not ship; "
                    + "reach Redis over a unix socket or a local stunnel instead"
            )
        }
        if url.hasPrefix("redis+sentinel://") { return try Self.parseSentinel(url) }
        if url.hasPrefix("unix://") {
            var rest = Substring(url.dropFirst("unix://".count))
            var database = 0
            if let query = rest.firstIndex(of: "?") {
                let parameters = rest[rest.index(after: query)...]
                rest = rest[..<query]
                for parameter in parameters.split(separator: "&") {
                    guard parameter.hasPrefix("db="), let number = Int(parameter.dropFirst(3)), number >= 0 else {
                        throw RedisEndpointError(url: url, problem: "the only query parameter is db=N (N ≥ 0)")
                    }
                    database = number
                }
            }
            guard rest.hasPrefix("/"), rest.count > 1 else {
                throw RedisEndpointError(url: url, problem: "a unix URL names an absolute path: unix:///run/redis.sock")
            }
            return RedisEndpoint(address: .unix(path: String(rest)), database: database)
        }
        guard url.hasPrefix("redis://") else {
            throw RedisEndpointError(
                url: url, problem: "expected redis://host:port/db or unix:///path/to/redis.sock"
            )
        }
        var rest = Substring(url.dropFirst("redis://".count))
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let number = Int(path), number >= 0 else {
                    throw RedisEndpointError(url: url, problem: "the path is a database number: redis://host:6379/0")
                }
                database = number
            }
        }
        let username = try Self.takeUser(from: &rest, url: url)
        var host = rest
        var port = 6379
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                throw RedisEndpointError(url: url, problem: "an IPv6 address is written [::1]:6379")
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = Int(after.dropFirst()) else {
                    throw RedisEndpointError(url: url, problem: "the port after [address] is :N")
                }
                port = number
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            guard let number = Int(rest[rest.index(after: colon)...]) else {
                throw RedisEndpointError(url: url, problem: "the port is a number: redis://host:6379")
            }
            port = number
        }
        guard !host.isEmpty else { throw RedisEndpointError(url: url, problem: "the URL names no host") }
        guard (1...65_535).contains(port) else {
            throw RedisEndpointError(url: url, problem: "the port must be between 1 and 65535")
        }
        return RedisEndpoint(address: .tcp(host: String(host), port: port), database: database, username: username)
    }

    /// Takes `user@` off the front of `rest`; a `user:password@` is refused (the password never belongs in a URL).
    private static func takeUser(from rest: inout Substring, url: String) throws(RedisEndpointError) -> String? {
        guard let at = rest.lastIndex(of: "@") else { return nil }
        let user = rest[..<at]
        if user.contains(":") {
            throw RedisEndpointError(
                url: url, problem: "a password does not belong in the URL; set [shared] password_env or password_file"
            )
        }
        rest = rest[rest.index(after: at)...]
        return user.isEmpty ? nil : String(user)
    }

    private static func parseSentinel(_ url: String) throws(RedisEndpointError) -> RedisEndpoint {
        var rest = Substring(url.dropFirst("redis+sentinel://".count))
        let username = try Self.takeUser(from: &rest, url: url)
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2, !parts[1].isEmpty else {
            throw RedisEndpointError(
                url: url, problem: "name the master after the sentinels: redis+sentinel://host1,host2/mymaster"
            )
        }
        var database = 0
        if parts.count >= 3, !parts[2].isEmpty {
            guard parts.count == 3, let number = Int(parts[2]), number >= 0 else {
                throw RedisEndpointError(url: url, problem: "after the master comes a database number: /mymaster/0")
            }
            database = number
        }
        var hosts: [SentinelHost] = []
        for entry in parts[0].split(separator: ",") {
            var host = entry
            var port = 26379
            if let colon = entry.lastIndex(of: ":"), !entry.hasPrefix("[") || entry[..<colon].hasSuffix("]") {
                host = entry[..<colon]
                guard let number = Int(entry[entry.index(after: colon)...]), (1...65_535).contains(number) else {
                    throw RedisEndpointError(url: url, problem: "a sentinel's port is a number between 1 and 65535")
                }
                port = number
            }
            if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
            guard !host.isEmpty else { throw RedisEndpointError(url: url, problem: "a sentinel has no host") }
            hosts.append(SentinelHost(host: String(host), port: port))
        }
        guard !hosts.isEmpty else {
            throw RedisEndpointError(
                url: url, problem: "name at least one sentinel: redis+sentinel://host:26379/mymaster"
            )
        }
        return RedisEndpoint(
            address: .sentinel(hosts: hosts, master: String(parts[1])), database: database, username: username
        )
    }

    public var description: String {
        let user = self.username.map { "\($0)@" } ?? ""
        switch self.address {
        case .sentinel(let hosts, let master):
            let list = hosts.map(\.description).joined(separator: ",")
            return "redis+sentinel://\(user)\(list)/\(master)" + (self.database == 0 ? "" : "/\(self.database)")
        case .tcp(let host, let port):
            let shown = host.contains(":") ? "[\(host)]" : host
            return "redis://\(user)\(shown):\(port)/\(self.database)"
        case .unix(let path):
            return "unix://\(path)" + (self.database == 0 ? "" : "?db=\(self.database)")
        }
    }
}

public struct RedisEndpointError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL as given, with anything between `://` and `@` (user information, perhaps a password) hidden.
    public var url: String
    public var problem: String

    public init(url: String, problem: String) {
        self.url = Self.redacted(url)
        self.problem = problem
    }

    static func redacted(_ url: String) -> String {
        let characters = Array(url)
        guard let at = characters.lastIndex(of: "@") else { return url }
        var schemeEnd: Int?
        var index = 0
        while index + 2 < characters.count {
            if characters[index] == ":" && characters[index + 1] == "/" && characters[index + 2] == "/" {
                schemeEnd = index + 3
                break
            }
            index += 1
        }
        guard let start = schemeEnd, start <= at else { return url }
        return String(characters[..<start]) + "***" + String(characters[at...])
    }

    public var description: String { "\(self.url): \(self.problem)" }
}
