import ArgumentParser
import Histogram
import JunctionCore
import JunctionProviders
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// `junction-bench`: load for junctiond over its socket, or for an OpenAI-compatible upstream directly, with the
/// same request, concurrency and histogram, so that the daemon's added latency is measured in one run.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "junction-bench",
        abstract: "Benchmark junctiond (or, with --direct, an OpenAI-compatible upstream) and print latency percentiles."
    )

    @Option(help: "junctiond's socket.")
    var socket: String?

    @Option(help: "Send the same request straight to this OpenAI-compatible base URL (e.g. http://127.0.0.1:8080/v1).")
    var direct: String?

    @Option(help: "Connections to open.")
    var connections = 1

    @Option(help: "Requests in flight at once (spread over the connections).")
    var concurrency = 1

    @Option(help: "Requests to measure (after the warm-up).")
    var requests = 1000

    @Option(help: "Measure for this many seconds instead of a request count.")
    var duration: Double?

    @Option(help: "Unmeasured requests first.")
    var warmup = 100

    @Flag(help: "Streamed requests; also reports time to first delta.")
    var stream = false

    @Option(help: "Prompt size in bytes.")
    var promptSize = 64

    @Option(help: "Model: \"provider:model\" for junctiond; the upstream's model id with --direct.")
    var model = "bench-model"

    @Option(help: "Send this temperature (0 makes requests cacheable).")
    var temperature: Double?

    @Flag(help: "A different prompt for every request (a cache-miss workload).")
    var uniquePrompts = false

    @Option(help: "junctiond's pid: report its CPU time per request (from /proc).")
    var pid: Int32?

    func validate() throws {
        guard (self.socket == nil) != (self.direct == nil) else { throw ValidationError("give exactly one of --socket and --direct") }
        guard self.connections >= 1, self.concurrency >= 1, self.requests >= 1, self.promptSize >= 1 else {
            throw ValidationError("counts must be positive")
        }
    }

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        let prompt = String(repeating: "a", count: self.promptSize)
        let target: any BenchTarget
        if let socket = self.socket {
            do {
                target = try await DaemonTarget(
                    socket: socket, connections: self.connections, model: self.model, prompt: prompt,
                    stream: self.stream, temperature: self.temperature, uniquePrompts: self.uniquePrompts
                )
            } catch {
                let message = Array((Self.connectFailure(error, socket: socket) + "\n").utf8)
                message.withUnsafeBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
                throw ExitCode(1)
            }
        } else {
            target = DirectTarget(baseURL: self.direct!, model: self.model, prompt: prompt, stream: self.stream)
        }
        defer { target.close() }

        if self.warmup > 0 {
            _ = await Runner(target: target, concurrency: self.concurrency, limit: .requests(self.warmup)).run()
        }
        let cpuBefore = self.pid.flatMap(ProcessCPU.seconds)
        let limit: Runner.Limit = self.duration.map { .duration(.milliseconds(Int64($0 * 1000))) } ?? .requests(self.requests)
        let report = await Runner(target: target, concurrency: self.concurrency, limit: limit).run()
        let cpuAfter = self.pid.flatMap(ProcessCPU.seconds)
        var cpuPerRequest: Double?
        if let cpuBefore, let cpuAfter, report.completed > 0 { cpuPerRequest = (cpuAfter - cpuBefore) / Double(report.completed) }
        print(report.render(mode: self.socket != nil ? "junctiond \(self.socket!)" : "direct \(self.direct!)", concurrency: self.concurrency, connections: self.connections, stream: self.stream, cpuPerRequest: cpuPerRequest))
        if let lost = report.errors[ResponseMatcher.disconnected] {
            let message = Array(
                ("junction-bench: the daemon closed the connection during the run (\(lost) request(s) unanswered); "
                    + "is junctiond still running?\n").utf8
            )
            message.withUnsafeBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
            throw ExitCode(1)
        }
    }
}

/// Something a request can be sent to.
protocol BenchTarget: Sendable {
    /// Sends one request; returns (success, error code if any, time to first delta for streams).
    func send(id: Int) async -> BenchOutcome
    func close()
}

struct BenchOutcome: Sendable {
    var errorCode: String?
    var firstDelta: Duration?
}

/// Runs `concurrency` workers until the limit, recording each request's latency in microseconds.
struct Runner {
    enum Limit {
        case requests(Int)
        case duration(Duration)
    }

    let target: any BenchTarget
    let concurrency: Int
    let limit: Limit

    struct Report {
        var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var firstDelta = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var errors: [String: Int] = [:]
        var completed = 0
        var elapsed: Duration = .zero

        mutating func merge(_ other: Report) {
            self.latency.add(other.latency)
            self.firstDelta.add(other.firstDelta)
            self.errors.merge(other.errors, uniquingKeysWith: +)
            self.completed += other.completed
        }

        func render(mode: String, concurrency: Int, connections: Int, stream: Bool, cpuPerRequest: Double?) -> String {
            func ms(_ microseconds: UInt64) -> String {
                let value = Double(microseconds) / 1000
                return value < 10 ? String(format3: value) : String(Int(value.rounded()))
            }
            let seconds = Double(self.elapsed.milliseconds) / 1000
            var lines = [
                "target       \(mode)",
                "load         \(concurrency) concurrent over \(connections) connection\(connections == 1 ? "" : "s")\(stream ? ", streamed" : "")",
                "requests     \(self.completed) in \(String(format3: seconds)) s = \(Int((Double(self.completed) / max(seconds, 0.001)).rounded())) req/s",
                "latency ms   p50 \(ms(self.latency.valueAtPercentile(50)))  p90 \(ms(self.latency.valueAtPercentile(90)))  "
                    + "p99 \(ms(self.latency.valueAtPercentile(99)))  p99.9 \(ms(self.latency.valueAtPercentile(99.9)))  "
                    + "max \(ms(self.latency.max))",
            ]
            if stream, self.firstDelta.totalCount > 0 {
                lines.append(
                    "first delta  p50 \(ms(self.firstDelta.valueAtPercentile(50)))  p90 \(ms(self.firstDelta.valueAtPercentile(90)))  "
                        + "p99 \(ms(self.firstDelta.valueAtPercentile(99)))  p99.9 \(ms(self.firstDelta.valueAtPercentile(99.9)))"
                )
            }
            if let cpuPerRequest { lines.append("daemon CPU   \(String(format3: cpuPerRequest * 1000)) ms per request") }
            lines.append(
                "errors       "
                    + (self.errors.isEmpty ? "none" : self.errors.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
            )
            return lines.joined(separator: "\n")
        }
    }

    func run() async -> Report {
        let started = ContinuousClock.now
        let counter = BenchCounter()
        let limit = self.limit
        var total = Report()
        await withTaskGroup(of: Report.self) { group in
            for _ in 0..<self.concurrency {
                group.addTask {
                    var report = Report()
                    while true {
                        let id: Int
                        switch limit {
                        case .requests(let count):
                            id = counter.next()
                            if id >= count { return report }
                        case .duration(let duration):
                            if ContinuousClock.now - started >= duration { return report }
                            id = counter.next()
                        }
                        let sent = ContinuousClock.now
                        let outcome = await self.target.send(id: id)
                        let latency = ContinuousClock.now - sent
                        if let code = outcome.errorCode {
                            report.errors[code, default: 0] += 1
                            // The daemon went away: stop instead of failing every remaining request at once.
                            if code == ResponseMatcher.disconnected { return report }
                        } else {
                            _ = report.latency.record(UInt64(max(1, latency.microseconds)))
                            if let first = outcome.firstDelta { _ = report.firstDelta.record(UInt64(max(1, first.microseconds))) }
                            report.completed += 1
                        }
                    }
                }
            }
            for await report in group { total.merge(report) }
        }
        total.elapsed = ContinuousClock.now - started
        return total
    }
}

final class BenchCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NIOLock()
    func next() -> Int { self.lock.withLock { defer { self.value += 1 }; return self.value } }
}

enum ProcessCPU {
    /// utime + stime of a process, in seconds, from /proc/PID/stat.
    static func seconds(_ pid: Int32) -> Double? {
        guard let text = try? String(decoding: readAll("/proc/\(pid)/stat"), as: UTF8.self) else { return nil }
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func readAll(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw POSIXErrorCode(rawValue: errno).map { POSIXErrorWrapper(code: $0) } ?? POSIXErrorWrapper(code: .EIO) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        return bytes
    }
}

struct POSIXErrorWrapper: Error {
    var code: POSIXErrorCode
}

extension String {
    /// Three decimals, without Foundation.
    init(format3 value: Double) {
        let scaled = Int((value * 1000).rounded())
        let fraction = String(abs(scaled) % 1000)
        self = "\(scaled / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
