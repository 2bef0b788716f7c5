import Foundation
import JunctionClient
import JunctionCore
import Testing

/// The package's root directory, from this file's path.
func packageRoot(file: String = #filePath) -> String {
    var url = URL(fileURLWithPath: file)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
    }
    fatalError("Package.swift not found above \(file)")
}

/// Where `swift build` put the executables: beside the test bundle that is running.
func binaryDirectory() -> String {
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var url = URL(fileURLWithPath: executable).deletingLastPathComponent()
    // The test bundle is .build/<triple>/debug/junctionPackageTests.xctest (a file on Linux).
    while !FileManager.default.fileExists(atPath: url.appendingPathComponent("junctiond").path), url.path != "/" {
        url.deleteLastPathComponent()
    }
    return url.path
}

/// The sanitizer settings of a `make test-asan` / `make test-tsan` run, for the processes the tests start with an
/// environment of their own: without them a sanitized junctiond would run on the sanitizer's defaults
/// (LeakSanitizer on without the suppressions of TOMLKit's leaks, whose report changes the exit status).
func sanitizerEnvironment() -> [String: String] {
    let names: Set = ["ASAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"]
    return ProcessInfo.processInfo.environment.filter { names.contains($0.key) }
}

/// A private directory that is removed when the value goes away.
final class TemporaryDirectory: @unchecked Sendable {
    let path: String

    init() throws {
        var template = Array("/tmp/junction-test.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        self.path = String(cString: made)
    }

    @discardableResult
    func write(_ name: String, contents: String, mode: Int = 0o600) throws -> String {
        let file = "\(self.path)/\(name)"
        try contents.write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, mode_t(mode))
        return file
    }

    deinit {
        try? FileManager.default.removeItem(atPath: self.path)
    }
}

/// A real `junctiond` started on a temporary socket for one test.
final class DaemonProcess: @unchecked Sendable {
    let directory: TemporaryDirectory
    let socket: String
    let configPath: String
    let process = Process()
    let logPath: String

    /// Starts junctiond with `config` (TOML) and waits until its socket accepts connections.
    init(
        config: String = "",
        socket: String? = nil,
        arguments: [String] = [],
        environment: [String: String] = [:],
        waitForSocket: Bool = true,
        launcher: [String] = []
    ) throws {
        self.directory = try TemporaryDirectory()
        self.socket = socket ?? "\(self.directory.path)/junction.sock"
        self.configPath = try self.directory.write("junction.toml", contents: config)
        self.logPath = "\(self.directory.path)/junctiond.log"
        _ = FileManager.default.createFile(atPath: self.logPath, contents: nil)
        let junctiond = binaryDirectory() + "/junctiond"
        let daemonArguments = ["--config", self.configPath, "--socket", self.socket] + arguments
        // A launcher (`ip netns exec NAME`) execs junctiond in its place: the process is still the daemon.
        self.process.executableURL = URL(fileURLWithPath: launcher.first ?? junctiond)
        self.process.arguments = launcher.isEmpty ? daemonArguments : Array(launcher.dropFirst()) + [junctiond] + daemonArguments
        // STATE_DIRECTORY: each daemon keeps its ledger in its own directory (as root it would use /var/lib).
        var env = ["PATH": "/usr/bin:/bin", "HOME": self.directory.path, "STATE_DIRECTORY": self.directory.path]
        env.merge(sanitizerEnvironment()) { $1 }
        env.merge(environment) { $1 }
        self.process.environment = env
        let log = FileHandle(forWritingAtPath: self.logPath)
        self.process.standardError = log
        self.process.standardOutput = log
        try self.process.run()
        if waitForSocket { try self.waitUntilAccepting() }
    }

    var pid: Int32 { self.process.processIdentifier }

    func waitUntilAccepting(timeout: Duration = .seconds(20)) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? RPCClient(path: self.socket, timeout: 1)) != nil { return }
            guard self.process.isRunning else {
                throw DaemonFailed(message: "junctiond exited (\(self.process.terminationStatus)): \(self.log)")
            }
            usleep(10_000)
        }
        throw DaemonFailed(message: "junctiond did not accept connections in time: \(self.log)")
    }

    func client(timeout: Double = 10) throws -> RPCClient {
        try RPCClient(path: self.socket, timeout: timeout)
    }

    var log: String { (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? "" }

    /// Waits until the log holds `text` at least `occurrences` times (counting lines logged before the call too).
    func waitForLog(_ text: String, occurrences: Int = 1, timeout: Duration = .seconds(10)) throws {
        try poll(until: "the log shows \"\(text)\" \(occurrences) time(s); log:\n\(self.log)", timeout: timeout) {
            let running = self.process.isRunning  // read first: a line logged just before exiting still counts
            if self.log.components(separatedBy: text).count - 1 >= occurrences { return true }
            guard running else {
                throw DaemonFailed(message: "junctiond exited (\(self.process.terminationStatus)) before logging \"\(text)\"")
            }
            return false
        }
    }

    /// Waits until the daemon holds `count` requests (running or queued), asking `daemon.status` on a connection
    /// of its own; the status call itself is not counted.
    func waitForInflight(_ count: Int, timeout: Duration = .seconds(10)) throws {
        let observer = try self.client()
        var seen = -1
        try poll(until: "\(count) request(s) in flight (last seen: \(seen))", timeout: timeout) {
            seen = try Self.inflight(observer)
            return seen == count
        }
    }

    /// Requests the daemon holds, as `daemon.status` on `client` reports them, less that status call itself.
    static func inflight(_ client: RPCClient) throws -> Int {
        (try client.call("daemon.status")["inflight_requests"]?.intValue ?? 0) - 1
    }

    func signal(_ number: Int32) {
        kill(self.pid, number)
    }

    /// Waits for the process to exit and returns its status.
    @discardableResult
    func waitForExit(timeout: Duration = .seconds(20)) throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(self.pid, SIGKILL)
                throw DaemonFailed(message: "junctiond did not exit in time: \(self.log)")
            }
            usleep(10_000)
        }
        return self.process.terminationStatus
    }

    /// SIGTERM and wait.
    @discardableResult
    func stop() throws -> Int32 {
        if self.process.isRunning { self.signal(SIGTERM) }
        return try self.waitForExit()
    }

    deinit {
        if self.process.isRunning {
            kill(self.pid, SIGKILL)
            self.process.waitUntilExit()
        }
    }
}

struct DaemonFailed: Error, CustomStringConvertible {
    var message: String
    var description: String { self.message }
}

/// `poll` gave up: what it waited for did not happen in time.
struct PollTimedOut: Error, CustomStringConvertible {
    var what: String
    var timeout: Duration
    var description: String { "gave up after \(DurationText.format(self.timeout)) waiting for \(self.what)" }
}

/// Checks `condition` every 5 ms until it holds, or throws `PollTimedOut` naming `what` once `timeout` has passed.
/// End-to-end tests synchronise with the daemon through this, on state it shows (`daemon.status`, its log, the
/// socket file, the process), never by sleeping for a guessed time.
func poll(until what: @autoclosure () -> String, timeout: Duration = .seconds(30), _ condition: () throws -> Bool)
    throws
{
    let deadline = ContinuousClock.now + timeout
    while try !condition() {
        guard ContinuousClock.now < deadline else { throw PollTimedOut(what: what(), timeout: timeout) }
        usleep(5_000)
    }
}

/// Runs a command to completion, capturing its output.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

func runCommand(_ path: String, _ arguments: [String], environment: [String: String]? = nil, stdin: String? = nil) throws
    -> CommandResult
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let environment { process.environment = environment.merging(sanitizerEnvironment()) { given, _ in given } }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    // Read both pipes to the end before waiting, so a chatty child never blocks on a full pipe.
    let group = DispatchGroup()
    nonisolated(unsafe) var outData = Data()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async {
        outData = out.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    errData = err.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus,
        stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self)
    )
}

/// Sends one raw line on a fresh connection and returns the parsed answer line.
func exchange(_ daemon: DaemonProcess, _ line: String) throws -> JSONValue {
    let client = try daemon.client()
    try client.send(line: Array(line.utf8))
    return try client.receive()
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0 and released), for a server a test starts.
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    guard bound else { throw DaemonFailed(message: "no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}
