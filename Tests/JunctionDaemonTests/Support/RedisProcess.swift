import Foundation

/// A real `redis-server` (Debian's) on a free loopback port for one test: no persistence, its own directory.
/// `kill` (SIGKILL), `pause` (SIGSTOP) and `resume` act on the process; `restart` starts a fresh one on the same
/// port.
final class RedisProcess: @unchecked Sendable {
    let port: Int
    /// `requirepass`: clients must AUTH with it (redis-cli here does).
    let password: String?
    private let directory: TemporaryDirectory
    private var process: Process

    /// Addresses it listens on besides 127.0.0.1 (a test network's bridge).
    let extraAddresses: [String]

    /// Replicates this primary (`--replicaof 127.0.0.1 PORT`).
    let replicaOf: Int?

    init(password: String? = nil, extraAddresses: [String] = [], replicaOf: Int? = nil) throws {
        self.extraAddresses = extraAddresses
        self.replicaOf = replicaOf
        self.directory = try TemporaryDirectory()
        self.port = try freeLoopbackPort()
        self.password = password
        self.process = Process()
        try self.launch()
    }

    var url: String { "redis://127.0.0.1:\(self.port)/0" }
    /// The server also listens on this unix socket.
    var socketPath: String { self.directory.path + "/redis.sock" }

    private func launch() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = [
            "--port", "\(self.port)", "--bind", (["127.0.0.1"] + self.extraAddresses).joined(separator: " "),
            "--protected-mode", self.extraAddresses.isEmpty ? "yes" : "no", "--save", "", "--appendonly", "no",
            "--dir", self.directory.path, "--daemonize", "no", "--loglevel", "warning",
            "--unixsocket", self.socketPath, "--unixsocketperm", "700",
        ] + (self.password.map { ["--requirepass", $0] } ?? [])
            + (self.replicaOf.map { ["--replicaof", "127.0.0.1", "\($0)"] } ?? [])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        try poll(until: "redis-server answers PING on \(self.port)", timeout: .seconds(10)) {
            (try? self.cli(["PING"]))?.contains("PONG") == true
        }
    }

    /// Runs `redis-cli` against this server; returns its output.
    @discardableResult
    func cli(_ arguments: [String]) throws -> String {
        let result = try runCommand("/usr/bin/redis-cli", self.connection + ["--no-raw"] + arguments)
        return result.stdout
    }

    /// A command's reply as plain text (`redis-cli --raw`).
    func raw(_ arguments: [String]) throws -> String {
        let result = try runCommand("/usr/bin/redis-cli", self.connection + ["--raw"] + arguments)
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private var connection: [String] {
        ["-p", "\(self.port)"] + (self.password.map { ["--no-auth-warning", "-a", $0] } ?? [])
    }

    func kill() {
        Foundation.kill(self.process.processIdentifier, SIGKILL)
        self.process.waitUntilExit()
    }

    func pause() { Foundation.kill(self.process.processIdentifier, SIGSTOP) }
    func resume() { Foundation.kill(self.process.processIdentifier, SIGCONT) }

    func restart() throws {
        try self.launch()
    }

    deinit {
        Foundation.kill(self.process.processIdentifier, SIGCONT)
        Foundation.kill(self.process.processIdentifier, SIGKILL)
    }
}

/// A real Redis Sentinel (`redis-server CONF --sentinel`) watching one primary as `mymaster`, quick to fail over
/// (down after 300 ms, quorum 1).
final class SentinelProcess: @unchecked Sendable {
    let port: Int
    private let directory: TemporaryDirectory
    private let process = Process()

    init(primaryPort: Int) throws {
        self.directory = try TemporaryDirectory()
        self.port = try freeLoopbackPort()
        let config = try self.directory.write(
            "sentinel.conf",
            contents: """
                port \(self.port)
                bind 127.0.0.1
                dir \(self.directory.path)
                sentinel monitor mymaster 127.0.0.1 \(primaryPort) 1
                sentinel down-after-milliseconds mymaster 300
                sentinel failover-timeout mymaster 2000
                sentinel parallel-syncs mymaster 1

                """
        )
        self.process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        self.process.arguments = [config, "--sentinel", "--loglevel", "warning"]
        self.process.standardOutput = FileHandle.nullDevice
        self.process.standardError = FileHandle.nullDevice
        try self.process.run()
        try poll(until: "the sentinel knows the primary", timeout: .seconds(10)) {
            (try? self.master())?.port == primaryPort
        }
    }

    /// The current master as this sentinel names it.
    func master() throws -> (host: String, port: Int)? {
        let result = try runCommand(
            "/usr/bin/redis-cli", ["-p", "\(self.port)", "--raw", "SENTINEL", "get-master-addr-by-name", "mymaster"]
        )
        let lines = result.stdout.split(separator: "\n").map(String.init)
        guard lines.count == 2, let port = Int(lines[1]) else { return nil }
        return (lines[0], port)
    }

    deinit {
        // SIGKILL, as for the servers: a sentinel rewrites its configuration on SIGTERM, and nothing here needs it.
        Foundation.kill(self.process.processIdentifier, SIGKILL)
    }
}
