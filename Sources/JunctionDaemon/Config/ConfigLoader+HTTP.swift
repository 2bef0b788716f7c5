#if canImport(Glibc)
import Glibc
#endif

extension ConfigLoader {
    /// `[http]`.
    static func readHTTP(_ table: ConfigTable) -> HTTPConfig {
        var http = HTTPConfig()
        if let value = table.value("listen") {
            http.listen = Self.readListenAddresses(value, table: table)
        }
        if let path = table.string("listen_unix") {
            if !path.hasPrefix("/") {
                table.problem("listen_unix", "must be an absolute path such as \"/run/junction/http.sock\"")
            } else if path.utf8.count >= 108 {
                table.problem("listen_unix", "is too long for a Unix socket (at most 107 bytes)")
            } else {
                http.listenUnix = path
            }
        }
        if let mode = table.value("unix_mode") {
            if let parsed = Self.fileMode(mode) {
                http.unixMode = parsed
            } else {
                table.problem("unix_mode", "must be an octal file mode such as \"0660\"")
            }
        }
        http.unixGroup = table.string("unix_group")
        http.allowRemote = table.bool("allow_remote") ?? http.allowRemote
        http.maxConnections = table.int("max_connections", in: 1...1_000_000) ?? http.maxConnections
        http.maxHeaderBytes = table.int("max_header_bytes", in: 1024...(1 << 20)) ?? http.maxHeaderBytes
        http.maxBodyBytes = table.int("max_body_bytes", in: 0...(1 << 30)) ?? http.maxBodyBytes
        if let idle = table.duration("idle_timeout") {
            if idle >= .milliseconds(100) {
                http.idleTimeout = idle
            } else {
                table.problem("idle_timeout", "must be at least 100ms (write e.g. \"60s\")")
            }
        }
        http.protectDashboard = table.bool("protect_dashboard") ?? http.protectDashboard
        if let tokens = table.table("tokens") { http.tokens = Self.readHTTPTokens(tokens) }
        if !http.allowRemote {
            for address in http.listen where !HTTPAddressParser.isLoopback(address) {
                table.problem(
                    "listen",
                    "\(address) is not a loopback address: anyone who can reach it sees the dashboard and "
                        + "metrics; set allow_remote = true to bind it anyway, or listen on 127.0.0.1 or [::1]"
                )
            }
        }
        table.rejectUnknownKeys(allowed: [
            "listen", "listen_unix", "unix_mode", "unix_group", "allow_remote", "max_connections", "max_header_bytes",
            "max_body_bytes", "idle_timeout", "tokens", "protect_dashboard",
        ])
        return http
    }

    private static func readListenAddresses(_ value: ConfigValue, table: ConfigTable) -> [HTTPListenAddress] {
        guard case .array(let nodes) = value else {
            table.problem("listen", "must be an array of addresses such as [\"127.0.0.1:9470\"], got \(value.typeName)")
            return []
        }
        var addresses: [HTTPListenAddress] = []
        for (index, node) in nodes.enumerated() {
            let element = ConfigValue(node)
            guard case .string(let text) = element else {
                table.problem("listen", "element \(index) must be a string such as \"127.0.0.1:9470\"")
                continue
            }
            switch HTTPAddressParser.parse(text) {
            case .success(let address):
                if addresses.contains(address) {
                    table.problem("listen", "\(address) is listed twice")
                } else {
                    addresses.append(address)
                }
            case .failure(let problem):
                table.problem("listen", "\"\(text)\": \(problem.message)")
            }
        }
        return addresses
    }

    /// An octal file mode written as a string (`"0660"`, `"0o660"`) or an integer.
    private static func fileMode(_ value: ConfigValue) -> UInt32? {
        let parsed: UInt32? =
            switch value {
            case .string(let text): UInt32(text.hasPrefix("0o") ? String(text.dropFirst(2)) : text, radix: 8)
            case .int(let number): UInt32(exactly: number)
            default: nil
            }
        guard let parsed, parsed <= 0o777 else { return nil }
        return parsed
    }
}

/// Reads `host:port` listen addresses. Only IP literals (and `localhost`) are accepted: a name would need a DNS
/// lookup at start and could bind something the operator did not mean.
enum HTTPAddressParser {
    /// Why an address was refused.
    struct Problem: Error, Equatable {
        var message: String
    }

    /// How a listen address is written, for the problems.
    static let expected = "write an IP address and a port such as \"127.0.0.1:9470\" or \"[::1]:9470\""

    /// `host:port`, `[v6]:port` or `localhost:port`.
    static func parse(_ text: String) -> Result<HTTPListenAddress, Problem> {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return .failure(Problem(message: "an IPv6 address needs brackets and a port; \(Self.expected)"))
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                return .failure(Problem(message: "no port; \(Self.expected)"))
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                return .failure(Problem(message: "an IPv6 address needs brackets; \(Self.expected)"))
            }
        }
        guard let port = Int(portText), (0...65_535).contains(port), !portText.hasPrefix("+") else {
            return .failure(Problem(message: "the port must be a number from 0 to 65535 (0 picks a free port)"))
        }
        if host == "localhost" { return .success(HTTPListenAddress(host: "127.0.0.1", port: port, isIPv6: false)) }
        let literal = String(host)
        if Self.isIPv4(literal) { return .success(HTTPListenAddress(host: literal, port: port, isIPv6: false)) }
        if text.hasPrefix("["), Self.isIPv6(literal) {
            return .success(HTTPListenAddress(host: literal, port: port, isIPv6: true))
        }
        let message = "\"\(host)\" is not an IP address (host names are not accepted); \(Self.expected)"
        return .failure(Problem(message: message))
    }

    /// 127.0.0.0/8 and ::1 (also as an IPv4-mapped 127.x address).
    static func isLoopback(_ address: HTTPListenAddress) -> Bool {
        if address.isIPv6 {
            var raw = in6_addr()
            guard inet_pton(AF_INET6, address.host, &raw) == 1 else { return false }
            let bytes = withUnsafeBytes(of: raw) { Array($0) }
            if bytes == [UInt8](repeating: 0, count: 15) + [1] { return true }
            return bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
        }
        return address.host.split(separator: ".").first == "127"
    }

    private static func isIPv4(_ text: String) -> Bool {
        var raw = in_addr()
        return inet_pton(AF_INET, text, &raw) == 1
    }

    private static func isIPv6(_ text: String) -> Bool {
        var raw = in6_addr()
        return inet_pton(AF_INET6, text, &raw) == 1
    }
}
