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

    init(password: String? = nil, extraAddresses: [String] = []) throws {
        self.extraAddresses = extraAddresses
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
