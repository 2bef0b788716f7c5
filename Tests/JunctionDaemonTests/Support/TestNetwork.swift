import Foundation

/// "Hosts" for the fleet tests: a bridge in the test's namespace (10.77.0.1/24) and one network namespace per
/// daemon, each joined to the bridge by a veth pair with `tc netem` delay on both ends, so that a daemon's traffic
/// to Redis and the simulator crosses a real network stack with real latency. Needs CAP_NET_ADMIN (CI runs as
/// root); `available` says whether this machine allows it, and the tests that need it say so when it does not. A
/// kernel without `sch_netem` (this project's CI VM has none) gets the namespaces without the delay: `delayed`
/// says which.
final class TestNetwork: @unchecked Sendable {
    let bridgeAddress = "10.77.0.1"
    private let tag: String
    private(set) var namespaces: [String] = []
    /// Whether netem delays the links (false when the kernel has no netem).
    private(set) var delayed = true
    private var links: [String] = []

    /// One namespace per host, each `delay` away from the bridge in each direction.
    init(hosts: Int, delay: String = "2ms") throws {
        self.tag = String(getpid() % 100_000, radix: 36)
        let bridge = "jbr\(self.tag)"
        try Self.ip(["link", "add", bridge, "type", "bridge"])
        self.links.append(bridge)
        try Self.ip(["addr", "add", "\(self.bridgeAddress)/24", "dev", bridge])
        try Self.ip(["link", "set", bridge, "up"])
        for index in 0..<hosts {
            let namespace = "jns\(self.tag)-\(index)"
            let outer = "jv\(self.tag)o\(index)"
            let inner = "jv\(self.tag)i\(index)"
            try Self.ip(["netns", "add", namespace])
            self.namespaces.append(namespace)
            try Self.ip(["link", "add", outer, "type", "veth", "peer", "name", inner])
            self.links.append(outer)
            try Self.ip(["link", "set", inner, "netns", namespace])
            try Self.ip(["link", "set", outer, "master", bridge])
            try Self.ip(["link", "set", outer, "up"])
            self.delayed = self.delayed && Self.netem(outer, delay: delay, inside: nil)
            let inside = ["netns", "exec", namespace]
            try Self.ip(inside + ["ip", "addr", "add", "10.77.0.\(index + 2)/24", "dev", inner])
            try Self.ip(inside + ["ip", "link", "set", inner, "up"])
            try Self.ip(inside + ["ip", "link", "set", "lo", "up"])
            self.delayed = self.delayed && Self.netem(inner, delay: delay, inside: namespace)
        }
    }

    /// Runs a program inside namespace `index` (`DaemonProcess(launcher:)`).
    func launcher(_ index: Int) -> [String] {
        ["/usr/sbin/ip", "netns", "exec", self.namespaces[index]]
    }

    /// Whether network namespaces, veth pairs and netem can be made here (root with CAP_NET_ADMIN, the modules).
    static let available: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/tc") else { return false }
        let probe = "jprobe\(getpid() % 100_000)"
        defer { _ = try? runCommand("/usr/sbin/ip", ["netns", "del", probe]) }
        return (try? runCommand("/usr/sbin/ip", ["netns", "add", probe]))?.status == 0
    }()

    deinit {
        for namespace in self.namespaces { _ = try? runCommand("/usr/sbin/ip", ["netns", "del", namespace]) }
        for link in self.links.reversed() { _ = try? runCommand("/usr/sbin/ip", ["link", "del", link]) }
    }

    /// Adds the delay to a link; false when the kernel has no netem.
    private static func netem(_ link: String, delay: String, inside namespace: String?) -> Bool {
        let tc = ["tc", "qdisc", "add", "dev", link, "root", "netem", "delay", delay]
        let result = namespace.map { try? runCommand("/usr/sbin/ip", ["netns", "exec", $0] + tc) }
            ?? (try? runCommand("/usr/sbin/tc", Array(tc.dropFirst())))
        return result?.status == 0
    }

    private static func ip(_ arguments: [String]) throws {
        try Self.run("/usr/sbin/ip", arguments)
    }

    private static func run(_ path: String, _ arguments: [String]) throws {
        let result = try runCommand(path, arguments)
        guard result.status == 0 else {
            throw DaemonFailed(message: "\(path) \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        }
    }
}
