import Foundation
import JunctionClient
import JunctionCore
import Testing

extension DaemonProcess {
    /// The port the daemon's HTTP listener bound (`listen = ["127.0.0.1:0"]` picks one and logs it).
    func httpPort(timeout: Duration = .seconds(10)) throws -> Int {
        try self.waitForLog("http listening address=127.0.0.1:", timeout: timeout)
        let line = self.log.split(separator: "\n").first { $0.contains("http listening address=127.0.0.1:") } ?? ""
        guard let port = line.split(separator: ":").last.flatMap({ Int($0.prefix { $0.isNumber }) }) else {
            throw DaemonFailed(message: "no HTTP port in the log: \(self.log)")
        }
        return port
    }
}

extension EndToEnd {
    @Suite("HTTP listener: /healthz, /readyz, /metrics, /api/stats against the real daemon")
    struct HTTPEndToEndTests {
        static let httpConfig = "\n[http]\nlisten = [\"127.0.0.1:0\"]\n"

        @Test func healthAndReadinessFollowTheProviders() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: Self.httpConfig)
            let port = try daemon.httpPort()
            let health = try httpGet(port: port, "/healthz")
            #expect(health.status == 200)
            #expect(health.text == "ok\n")
            let ready = try httpGet(port: port, "/readyz")
            #expect(ready.status == 200)
            #expect(ready.text.hasPrefix("ready: 8 of 8 providers serving"))

            // Every provider disabled: not ready, with the reason; one back: ready again.
            let client = try daemon.client()
            let names = ["openai", "anthropic", "gemini", "deepseek", "qwen", "ollama", "local", "cursor"]
            for name in names { _ = try client.call("admin.provider.disable", params: ["provider": .string(name)]) }
            let down = try httpGet(port: port, "/readyz")
            #expect(down.status == 503)
            #expect(down.text == "not ready: every provider is disabled\n")
            let json = try JSONValue.parse(try httpGet(port: port, "/readyz?format=json").text)
            #expect(json == ["ready": false, "reason": "every provider is disabled"])
            _ = try client.call("admin.provider.enable", params: ["provider": "local"])
            let back = try httpGet(port: port, "/readyz")
            #expect(back.status == 200)
            #expect(back.text == "ready: 1 of 8 providers serving (local)\n")

            // The exposition and the dashboard's JSON, as the metrics RPC and stats.snapshot give them.
            let metrics = try httpGet(port: port, "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.text.contains("# TYPE junction_requests_total counter") || metrics.text.contains("junction_build_info"))
            let stats = try httpGet(port: port, "/api/stats")
            #expect(stats.status == 200)
            let snapshot = try JSONValue.parse(stats.text)
            #expect(snapshot["providers"]?.arrayValue?.count == 8)
            let page = try httpGet(port: port, "/")
            #expect(page.status == 200)
            #expect(page.text.contains("<title>Junction</title>"))
            #expect(try daemon.stop() == 0)
        }

        @Test func providersDisabledInTheConfigurationAreNotReady() throws {
            let daemon = try DaemonProcess(
                config: "[providers.openai]\napi_key_env = \"X\"\nenabled = false\n" + Self.httpConfig
            )
            let port = try daemon.httpPort()
            let ready = try httpGet(port: port, "/readyz")
            #expect(ready.status == 503)
            #expect(ready.text == "not ready: every provider is disabled\n")
            #expect(try httpGet(port: port, "/healthz").status == 200)
        }

        @Test func theUnixListenerServesWithItsMode() throws {
            let directory = try TemporaryDirectory()
            let path = directory.path + "/http.sock"
            let daemon = try DaemonProcess(
                config: "[http]\nlisten_unix = \"\(path)\"\nunix_mode = \"0600\"\n"
            )
            try daemon.waitForLog("http listening address=unix:\(path)")
            let response = try RawHTTPConnection(unixPath: path).request("GET", "/healthz")
            #expect(response.text == "ok\n")
            var status = stat()
            #expect(stat(path, &status) == 0 && status.st_mode & 0o777 == 0o600)
            #expect(try daemon.stop() == 0)
            #expect(!FileManager.default.fileExists(atPath: path))
        }

        @Test func aPortInUseStopsTheStartNamingTheAddress() throws {
            let first = try DaemonProcess(config: Self.httpConfig)
            let port = try first.httpPort()
            let second = try DaemonProcess(
                config: "[http]\nlisten = [\"127.0.0.1:\(port)\"]\n", waitForSocket: false
            )
            #expect(try second.waitForExit() == 1)
            #expect(second.log.contains("http.listen: cannot listen on 127.0.0.1:\(port): Address already in use"))
        }

        @Test func aRemoteAddressWithoutAllowRemoteIsAConfigurationError() throws {
            let daemon = try DaemonProcess(config: "[http]\nlisten = [\"0.0.0.0:0\"]\n", waitForSocket: false)
            #expect(try daemon.waitForExit() == 78)
            #expect(daemon.log.contains("set allow_remote = true"))
        }

        @Test func sigtermClosesIdleConnectionsAndExitsCleanly() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: Self.httpConfig + "[server]\ndrain_timeout = \"5s\"\n")
            let port = try daemon.httpPort()
            let connection = try RawHTTPConnection(port: port)
            #expect(try connection.request("GET", "/readyz").status == 200)
            daemon.signal(SIGTERM)
            // The idle keep-alive connection is closed by the drain, and the process exits cleanly.
            #expect(connection.waitForClose(timeout: .seconds(10)))
            #expect(try daemon.waitForExit() == 0)
            #expect(daemon.log.contains("http: draining"))
        }

        @Test func aReloadThatChangesHTTPIsWarnedAbout() throws {
            let daemon = try DaemonProcess(config: Self.httpConfig)
            _ = try daemon.httpPort()
            try Self.httpConfig.replacingOccurrences(of: "[http]", with: "[http]\nmax_connections = 9")
                .write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            try daemon.waitForLog("[http] changes take effect at the next restart")
        }
    }
}
