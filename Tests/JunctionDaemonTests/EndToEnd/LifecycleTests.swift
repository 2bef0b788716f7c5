import Foundation
import JunctionClient
import JunctionCore
import Testing

extension EndToEnd {
    @Suite("Lifecycle: shutdown, reload, socket file")
    struct LifecycleTests {
        @Test func sigtermLetsInflightRequestsFinishThenExitsZero() throws {
            let daemon = try DaemonProcess(config: "[server]\ndrain_timeout = \"5s\"\n")
            let client = try daemon.client()
            try client.send(line: Array(#"{"jsonrpc":"2.0","method":"ping","params":{"delay_ms":400},"id":1}"#.utf8))
            try daemon.waitForInflight(1)
            daemon.signal(SIGTERM)
            #expect(try client.receive()["result"]?["pong"] == true)
            #expect(try daemon.waitForExit() == 0)
            #expect(!FileManager.default.fileExists(atPath: daemon.socket))
        }

        @Test func requestsStillRunningAtTheDrainTimeoutAreCancelledWithOverloaded() throws {
            let daemon = try DaemonProcess(config: "[server]\ndrain_timeout = \"300ms\"\n")
            let client = try daemon.client()
            try client.send(line: Array(#"{"jsonrpc":"2.0","method":"ping","params":{"delay_ms":60000},"id":1}"#.utf8))
            try daemon.waitForInflight(1)
            let started = ContinuousClock.now
            daemon.signal(SIGTERM)
            let answer = try client.receive()
            #expect(answer["error"]?["code"] == -32008)
            #expect(try daemon.waitForExit() == 0)
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(3))
        }

        @Test func newRequestsDuringTheDrainAreRefused() throws {
            let daemon = try DaemonProcess(config: "[server]\ndrain_timeout = \"5s\"\n")
            let client = try daemon.client()
            // Long enough to still be running when request 2 arrives however slowly the machine polls.
            try client.send(line: Array(#"{"jsonrpc":"2.0","method":"ping","params":{"delay_ms":1000},"id":1}"#.utf8))
            try daemon.waitForInflight(1)
            daemon.signal(SIGTERM)
            try daemon.waitForLog("draining in-flight requests")
            try client.send(line: Array(#"{"jsonrpc":"2.0","method":"ping","id":2}"#.utf8))
            let refusal = try client.receive()
            #expect(refusal["id"] == 2)
            #expect(refusal["error"]?["code"] == -32008)
            #expect(try client.receive()["id"] == 1)
            #expect(try daemon.waitForExit() == 0)
        }

        @Test func signalsAreHandledFromTheFirstAcceptedConnection() throws {
            // A signal that arrives as soon as the socket accepts (systemd's reload right after READY=1) must
            // find the daemon's handlers in place, not kill it with the default action.
            for _ in 0..<8 {
                let reloaded = try DaemonProcess()
                reloaded.signal(SIGHUP)
                try reloaded.waitForLog("configuration reloaded")
                #expect(try reloaded.client().call("ping")["pong"] == true)
                let stopped = try DaemonProcess()
                stopped.signal(SIGTERM)
                #expect(try stopped.waitForExit() == 0)
            }
        }

        @Test func aSecondSignalExitsAtOnce() throws {
            let daemon = try DaemonProcess(config: "[server]\ndrain_timeout = \"60s\"\n")
            let client = try daemon.client()
            try client.send(line: Array(#"{"jsonrpc":"2.0","method":"ping","params":{"delay_ms":60000},"id":1}"#.utf8))
            try daemon.waitForInflight(1)
            daemon.signal(SIGTERM)
            try daemon.waitForLog("shutting down gracefully")
            let started = ContinuousClock.now
            daemon.signal(SIGINT)
            let status = try daemon.waitForExit()
            #expect(ContinuousClock.now - started < .seconds(2))
            #expect(status == 128 + SIGINT)
        }

        @Test func aBadReloadKeepsTheOldConfigurationServing() throws {
            let daemon = try DaemonProcess(config: "[server]\nlog_level = \"info\"\n[providers.openai]\napi_key_env = \"X\"\n")
            let client = try daemon.client()
            #expect(try client.call("daemon.status")["providers"] == 1)
            try "[server]\nlog_level = \"loud\"\nmax_conections = 3\n".write(
                toFile: daemon.configPath, atomically: true, encoding: .utf8)
            do {
                _ = try client.call("admin.reload")
                Issue.record("an invalid configuration was accepted")
            } catch let reply as RPCClient.ErrorReply {
                #expect(reply.code == -32009)
                let problems = reply.data?["problems"]?.arrayValue?.compactMap(\.stringValue) ?? []
                #expect(problems.contains { $0.hasPrefix("\(daemon.configPath):2: server.log_level") })
                #expect(problems.contains { $0.hasPrefix("\(daemon.configPath):3: server.max_conections: unknown key") })
            }
            // The same through SIGHUP: reported in the log, nothing changes.
            daemon.signal(SIGHUP)
            // The admin.reload above logged this once; the SIGHUP reload is done when it appears again.
            try daemon.waitForLog("configuration unchanged; the previous configuration keeps serving", occurrences: 2)
            let rejections = daemon.log.split(separator: "\n").filter { $0.contains("reload rejected") }
            #expect(rejections.contains { $0.contains("trigger=SIGHUP") })
            #expect(try client.call("ping")["pong"] == true)
            let status = try client.call("daemon.status")
            #expect(status["providers"] == 1)
            #expect(status["log_level"] == "info")
            // A good file is picked up.
            try "[server]\nlog_level = \"debug\"\n".write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
            #expect(try client.call("admin.reload")["providers"] == 0)
            #expect(try client.call("daemon.status")["log_level"] == "debug")
        }

        @Test func reloadDoesNotDisturbInflightRequests() throws {
            let daemon = try DaemonProcess()
            let client = try daemon.client()
            // Long enough that two reloads surely happen while it runs, even on a loaded machine.
            try client.send(line: Array(#"{"jsonrpc":"2.0","method":"ping","params":{"delay_ms":3000},"id":"long"}"#.utf8))
            try daemon.waitForInflight(1)
            daemon.signal(SIGHUP)
            try daemon.waitForLog("configuration reloaded")
            let observer = try daemon.client()
            #expect(try observer.call("admin.reload")["reloaded"] == true)
            // Both reloads happened while the request ran, and it still gets its answer.
            #expect(try DaemonProcess.inflight(observer) == 1)
            #expect(try client.receive()["result"]?["pong"] == true)
        }

        @Test func aStaleSocketFileIsReplacedButALiveOneIsNot() throws {
            let first = try DaemonProcess()
            // A second daemon on the same live socket refuses to start and says why.
            let second = try DaemonProcess(socket: first.socket, waitForSocket: false)
            #expect(try second.waitForExit() == 1)
            #expect(second.log.contains("already serving on \(first.socket)"))
            #expect(try first.client().call("ping")["pong"] == true)

            // Simulate a crash: the socket file stays, nobody listens.
            first.signal(SIGKILL)
            _ = try first.waitForExit()
            #expect(FileManager.default.fileExists(atPath: first.socket))
            let third = try DaemonProcess(socket: first.socket)
            #expect(try third.client().call("ping")["pong"] == true)
        }

        @Test func theSocketGetsTheConfiguredMode() throws {
            // The socket is bound under a strict umask and accepts (root) connections before its mode is set;
            // "listening" is logged once the mode is in place.
            let daemon = try DaemonProcess(config: "[server]\nsocket_mode = \"0600\"\n")
            try daemon.waitForLog("listening")
            let attributes = try FileManager.default.attributesOfItem(atPath: daemon.socket)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let open = try DaemonProcess(config: "[server]\nsocket_mode = \"0666\"\n")
            try open.waitForLog("listening")
            #expect((try FileManager.default.attributesOfItem(atPath: open.socket)[.posixPermissions] as? Int) == 0o666)
        }

        @Test func anInvalidConfigurationStopsTheStartWithExitStatus78() throws {
            let daemon = try DaemonProcess(config: "[server]\nmax_connections = -1\n", waitForSocket: false)
            #expect(try daemon.waitForExit() == 78)
            #expect(daemon.log.contains(":2: server.max_connections: must be between 1 and 1000000, got -1"))
        }

        @Test func checkConfigReportsProblemsAndExitStatus() throws {
            let directory = try TemporaryDirectory()
            let good = try directory.write("good.toml", contents: "[server]\nmax_connections = 10\n")
            let bad = try directory.write("bad.toml", contents: "[server]\nmax_connections = \"ten\"\n[nope]\n")
            let junctiond = binaryDirectory() + "/junctiond"
            let ok = try runCommand(junctiond, ["--check-config", "--config", good])
            #expect(ok.status == 0)
            #expect(ok.stdout.contains("configuration is valid"))
            let failed = try runCommand(junctiond, ["--check-config", "--config", bad])
            #expect(failed.status == 1)
            #expect(failed.stderr.contains("\(bad):2: server.max_connections: must be an integer, got a string"))
            #expect(failed.stderr.contains("\(bad):3: nope: unknown key"))
            let missing = try runCommand(junctiond, ["--check-config", "--config", directory.path + "/none.toml"])
            #expect(missing.status == 1)
        }

        @Test func keysNeverReachTheLogOrAnyAnswer() throws {
            let secret = "sk-test-DO-NOT-LEAK-4242"
            let daemon = try DaemonProcess(
                config: "[providers.openai]\napi_key = \"\(secret)\"\n[providers.anthropic]\n",
                arguments: ["--log-level", "trace"],
                environment: ["ANTHROPIC_API_KEY": secret]
            )
            chmod(daemon.configPath, 0o644)
            let client = try daemon.client()
            var answers = ""
            for method in ["daemon.status", "admin.reload", "rpc.discover", "ping"] {
                answers += try client.call(method).compactText
            }
            daemon.signal(SIGHUP)
            try daemon.waitForLog("configuration reloaded", occurrences: 2)  // admin.reload's, then SIGHUP's
            try daemon.stop()
            #expect(!answers.contains(secret))
            #expect(!daemon.log.contains(secret))
            #expect(daemon.log.contains("holds an API key"))
        }
    }
}
