import Foundation
import JunctionClient
import JunctionCore
import Testing

extension EndToEnd {
    @Suite("systemd integration")
    struct SystemdTests {
        @Test func notifyReadyWatchdogReloadAndStopping() throws {
            let directory = try TemporaryDirectory()
            let listener = try NotifyListener(path: directory.path + "/notify")
            let daemon = try DaemonProcess(
                environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "400000"],
                waitForSocket: false
            )
            // READY=1 comes only once the socket accepts connections.
            let startup = try #require(listener.receive(until: "READY=1", timeout: .seconds(20)))
            #expect(startup.last?.contains("STATUS=serving 0 providers") == true)
            #expect(throws: Never.self) { try daemon.client().call("ping") }

            // WATCHDOG=1 at half the interval, repeatedly.
            var pings = 0
            let deadline = ContinuousClock.now + .seconds(3)
            while pings < 4, ContinuousClock.now < deadline {
                if listener.receive(timeout: .seconds(1))?.contains("WATCHDOG=1") == true { pings += 1 }
            }
            #expect(pings >= 4)
            let status = try daemon.client().call("daemon.status")
            #expect(status["watchdog_ms"] == 400)

            // SIGHUP: RELOADING=1, then READY=1 again.
            daemon.signal(SIGHUP)
            let reload = try #require(listener.receive(until: "READY=1", timeout: .seconds(30)))
            let reloading = try #require(reload.firstIndex { $0.contains("RELOADING=1") })
            #expect(reload[reloading].contains("MONOTONIC_USEC="))
            #expect(reloading < reload.count - 1)

            // SIGTERM: STOPPING=1 first, then a clean exit.
            daemon.signal(SIGTERM)
            #expect(listener.receive(until: "STOPPING=1", timeout: .seconds(30)) != nil)
            #expect(try daemon.waitForExit() == 0)
        }

        @Test func statusFollowsConnections() throws {
            let directory = try TemporaryDirectory()
            let listener = try NotifyListener(path: directory.path + "/notify")
            let daemon = try DaemonProcess(environment: ["NOTIFY_SOCKET": listener.path], waitForSocket: false)
            _ = try #require(listener.receive(until: "READY=1", timeout: .seconds(20)))
            let clients = try (0..<3).map { _ in try daemon.client() }
            #expect(listener.receive(until: "STATUS=serving 0 providers, 3 connections", timeout: .seconds(30)) != nil)
            _ = clients
        }

        @Test func socketActivation() throws {
            let directory = try TemporaryDirectory()
            let socket = directory.path + "/activated.sock"
            let config = try directory.write("junction.toml", contents: "")
            let activator = Process()
            activator.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-socket-activate")
            // systemd-socket-activate passes on only the variables named with -E: the sanitizer settings, if any.
            let passed = sanitizerEnvironment().keys.sorted().flatMap { ["-E", $0] }
            activator.arguments = ["-l", socket] + passed + [binaryDirectory() + "/junctiond", "--config", config]
            let log = directory.path + "/log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            activator.standardError = FileHandle(forWritingAtPath: log)
            try activator.run()
            defer {
                if activator.isRunning {
                    kill(activator.processIdentifier, SIGKILL)
                    activator.waitUntilExit()
                }
            }
            var client: RPCClient?
            for _ in 0..<200 where client == nil {
                client = try? RPCClient(path: socket, timeout: 20)
                if client == nil { usleep(10_000) }
            }
            // The first connection is what makes systemd-socket-activate start junctiond on the passed socket.
            let status = try #require(client).call("daemon.status")
            #expect(status["socket_activated"] == true)
            #expect(status["socket"] == .string(socket))
            #expect(try RPCClient(path: socket, timeout: 10).call("ping")["pong"] == true)
            kill(activator.processIdentifier, SIGTERM)
            activator.waitUntilExit()
            #expect(activator.terminationStatus == 0)
        }

        @Test func shippedUnitsVerifyAndMeetTheSecurityThreshold() throws {
            let directory = try TemporaryDirectory()
            let root = packageRoot()
            // verify wants ExecStart to exist: point a copy of the unit at the built binary.
            let service = try String(contentsOfFile: root + "/systemd/junctiond.service", encoding: .utf8)
                .replacingOccurrences(of: "/usr/local/bin/junctiond", with: binaryDirectory() + "/junctiond")
            try directory.write("junctiond.service", contents: service, mode: 0o644)
            try directory.write(
                "junctiond.socket",
                contents: try String(contentsOfFile: root + "/systemd/junctiond.socket", encoding: .utf8),
                mode: 0o644
            )
            let verify = try runCommand(
                "/usr/bin/systemd-analyze",
                ["verify", directory.path + "/junctiond.service", directory.path + "/junctiond.socket"]
            )
            #expect(verify.status == 0, "\(verify.stderr)")
            let security = try runCommand(
                "/usr/bin/systemd-analyze",
                ["security", "--offline=true", "--threshold=20", directory.path + "/junctiond.service"]
            )
            #expect(security.status == 0, "\(security.stdout)")
            let overall = security.stdout.split(separator: "\n").last { $0.contains("Overall exposure level") }
            let score = overall.flatMap { line in
                line.split(separator: " ").compactMap { Double($0) }.first
            }
            #expect(score.map { $0 <= 2.0 } == true, "\(overall ?? "no score")")
        }

        @Test func journalIsChosenOnlyWhenStderrIsTheJournalStream() throws {
            var status = stat()
            fstat(STDERR_FILENO, &status)
            #expect(LogSinkProbe.detect(["JOURNAL_STREAM": "\(status.st_dev):\(status.st_ino)"]) == "journal")
            #expect(LogSinkProbe.detect(["JOURNAL_STREAM": "1:2"]) == "stderr")
            #expect(LogSinkProbe.detect(["JOURNAL_STREAM": "garbage"]) == "stderr")
            #expect(LogSinkProbe.detect([:]) == "stderr")
        }
    }
}

@testable import JunctionDaemon

enum LogSinkProbe {
    static func detect(_ environment: [String: String]) -> String {
        LogSink.detect(environment: environment) == .journal ? "journal" : "stderr"
    }
}

@Suite("Journal fields")
struct JournalFieldTests {
    @Test func metadataKeysBecomeValidFieldNames() {
        #expect(JournalLogHandler.fieldName("request_id") == "REQUEST_ID")
        #expect(JournalLogHandler.fieldName("client-uid") == "CLIENT_UID")
        #expect(JournalLogHandler.fieldName("_private") == "PRIVATE")
        #expect(JournalLogHandler.fieldName("9lives") == "F_9LIVES")
        #expect(JournalLogHandler.fieldName(String(repeating: "a", count: 100))?.count == 64)
        #expect(JournalLogHandler.fieldName("___") == nil)
    }

    @Test func prioritiesFollowSyslog() {
        #expect(JournalLogHandler.priority(.critical) == 2)
        #expect(JournalLogHandler.priority(.error) == 3)
        #expect(JournalLogHandler.priority(.info) == 6)
        #expect(JournalLogHandler.priority(.debug) == 7)
    }
}
