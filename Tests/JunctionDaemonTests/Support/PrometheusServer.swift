import Foundation
import JunctionCore

/// A real `prometheus` server on a loopback port for one test, scraping one target every second. Queried through
/// its HTTP API (`/api/v1/query`) with curl, as an operator's dashboards would.
final class PrometheusServer: @unchecked Sendable {
    let port: Int
    let logPath: String
    private let process = Process()
    private let directory: TemporaryDirectory

    /// Where the server is installed (Debian package `prometheus`); nil when it is not.
    static var path: String? {
        ["/usr/bin/prometheus", "/usr/local/bin/prometheus"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts Prometheus scraping `target` (`host:port`) at `metricsPath` and waits until it is ready.
    init(scraping target: String, metricsPath: String = "/metrics", executable: String) throws {
        self.directory = try TemporaryDirectory()
        self.port = try freeLoopbackPort()
        let config = """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: junction
                metrics_path: \(metricsPath)
                static_configs:
                  - targets: ["\(target)"]

            """
        let configPath = try self.directory.write("prometheus.yml", contents: config, mode: 0o644)
        self.logPath = self.directory.path + "/prometheus.log"
        _ = FileManager.default.createFile(atPath: self.logPath, contents: nil)
        self.process.executableURL = URL(fileURLWithPath: executable)
        self.process.arguments = [
            "--config.file=\(configPath)", "--storage.tsdb.path=\(self.directory.path)/data",
            "--web.listen-address=127.0.0.1:\(self.port)", "--log.level=warn",
        ]
        self.process.environment = ["PATH": "/usr/bin:/bin", "HOME": self.directory.path]
        let log = FileHandle(forWritingAtPath: self.logPath)
        self.process.standardOutput = log
        self.process.standardError = log
        try self.process.run()
        try poll(until: "prometheus is ready; log:\n\(self.log)", timeout: .seconds(30)) {
            guard self.process.isRunning else {
                throw DaemonFailed(message: "prometheus exited (\(self.process.terminationStatus)): \(self.log)")
            }
            return try self.get("/-/ready").status == 0
        }
    }

    var log: String { (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? "" }

    /// The value of an instant query whose result is one scalar-like sample (a `sum(...)`); nil when it has none.
    func value(of query: String) throws -> Double? {
        let result = try runCommand(
            "/usr/bin/curl",
            ["-s", "-f", "-G", "--data-urlencode", "query=\(query)", "http://127.0.0.1:\(self.port)/api/v1/query"]
        )
        guard result.status == 0 else { throw DaemonFailed(message: "query \(query) failed: \(result.stdout)") }
        let answer = try JSONValue.parse(result.stdout)
        guard answer["status"] == "success" else { throw DaemonFailed(message: "query \(query): \(result.stdout)") }
        guard let sample = answer["data"]?["result"]?.arrayValue?.first,
            let text = sample["value"]?.arrayValue?.last?.stringValue
        else { return nil }
        return Double(text)
    }

    /// Polls `query` until its value is `expected` (Prometheus scrapes every second); returns the last value seen.
    @discardableResult
    func waitFor(_ query: String, toEqual expected: Double, timeout: Duration = .seconds(30)) throws -> Double? {
        var seen: Double?
        try poll(
            until: "\(query) == \(expected) in Prometheus (last: \(seen.map { "\($0)" } ?? "none"))", timeout: timeout
        ) {
            seen = try self.value(of: query)
            return seen == expected
        }
        return seen
    }

    private func get(_ path: String) throws -> CommandResult {
        try runCommand("/usr/bin/curl", ["-s", "-f", "http://127.0.0.1:\(self.port)\(path)"])
    }

    deinit {
        if self.process.isRunning {
            self.process.terminate()
            self.process.waitUntilExit()
        }
    }
}
