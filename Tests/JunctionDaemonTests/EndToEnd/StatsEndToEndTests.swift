import Foundation
import JunctionClient
import JunctionCore
import JunctionRPC
import Testing

extension EndToEnd {
    /// `stats.snapshot`, `feedback` and `junctionctl top --once` against a real daemon serving junction-sim.
    @Suite("Stats and feedback")
    struct StatsEndToEndTests {
        private func ctl(_ arguments: [String]) throws -> CommandResult {
            try runCommand(binaryDirectory() + "/junctionctl", arguments, environment: ["PATH": "/usr/bin:/bin"])
        }

        /// A route whose first target fails with 503 and fails over to the second.
        static let failoverRoute = """
            [defaults.retry]
            max_retries = 0
            [routes.r]
            targets = ["local:broken", "openai:gpt-4o-mini"]

            """

        @Test func theSnapshotCountsProvidersTargetsFailoversAndTheSeries() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: Self.failoverRoute)
            try sim.setFault(model: "broken", fault: "503")
            let client = try daemon.client()
            let before = try client.call("stats.snapshot")
            // Every configured provider is listed before it served anything, in the series too.
            let names = before["providers"]?.arrayValue?.compactMap { $0["provider"]?.stringValue } ?? []
            #expect(names == ["openai", "anthropic", "gemini", "deepseek", "qwen", "ollama", "local", "cursor"])
            #expect(before["series"]?["providers"]?.objectValue?.keys.sorted() == names.sorted())
            #expect(before["requests_total"] == .int(0))
            for _ in 0..<3 { _ = try client.call("generate", params: ["prompt": "hi", "model": "openai:gpt-4o-mini"]) }
            let failedOver = try client.call("generate", params: ["prompt": "hi", "route": "r"])
            #expect(failedOver["attempts"]?.arrayValue?.count == 2)
            let snapshot = try client.call("stats.snapshot")
            #expect(snapshot["requests_total"] == .int(4))
            #expect(snapshot["errors_total"] == .int(0))
            #expect((snapshot["requests_per_second"]?.doubleValue ?? 0) > 0)
            #expect((snapshot["cost_today_usd"]?.doubleValue ?? 0) > 0)
            let openai = snapshot["providers"]?.arrayValue?.first { $0["provider"] == "openai" }
            #expect(openai?["requests_total"] == .int(4))
            #expect(openai?["error_rate"] == .double(0))
            #expect(openai?["latency_ms"]?["p95"]?.intValue != nil)
            #expect(openai?["breaker"] == ["state": "closed", "open_for_ms": .null])
            #expect((openai?["requests_per_minute"]?.intValue ?? 0) >= 4)
            let target = openai?["targets"]?.arrayValue?.first { $0["model"] == "gpt-4o-mini" }
            #expect(target?["requests_total"] == .int(4))
            #expect((target?["cost_today_usd"]?.doubleValue ?? 0) > 0)
            let local = snapshot["providers"]?.arrayValue?.first { $0["provider"] == "local" }
            #expect(local?["errors_total"] == .int(1))
            #expect(local?["error_rate"] == .double(1))
            let failover = snapshot["failovers"]?.arrayValue?.first
            #expect(failover?["from"] == "local:broken")
            #expect(failover?["to"] == "openai:gpt-4o-mini")
            #expect(failover?["reason"] == "http_503")
            #expect(failover?["request_id"] == failedOver["request_id"])
            let series = snapshot["series"]
            #expect(series?["points"] == .int(90))
            let rates = series?["providers"]?["openai"]?["requests_per_second"]?.arrayValue ?? []
            #expect(rates.count == 90)
            #expect((rates.last?.doubleValue ?? 0) + (rates.dropLast().last?.doubleValue ?? 0) > 0)
            #expect(series?["providers"]?["local"]?["error_rate"]?.arrayValue?.compactMap(\.doubleValue).max() == 1)
            #expect(snapshot["ledger"]?["state"] == "ok")
            #expect(snapshot["feedback"] == ["count": 0, "mean_score": .null])
        }

        @Test func feedbackIsStoredReplacedCountedAndSurvivesARestart() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            let answer = try client.call("generate", params: ["prompt": "hi", "model": "openai:gpt-4o-mini"])
            let id = try #require(answer["request_id"]?.stringValue)
            // Rated at once: the row may still wait in the writer's queue.
            let first = try client.call("feedback", params: ["request_id": .string(id), "score": 0.5, "comment": "ok"])
            #expect(first["replaced"] == false)
            #expect(first["provider"] == "openai")
            #expect(first["model"] == "gpt-4o-mini")
            let again = try self.ctl(["feedback", "--socket", daemon.socket, id, "1", "--comment", "better"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout.contains("rated \(id) (openai:gpt-4o-mini): 1.00 — replaced the earlier score 0.50"))
            let snapshot = try client.call("stats.snapshot")
            #expect(snapshot["feedback"] == ["count": 1, "mean_score": 1])
            let openai = snapshot["providers"]?.arrayValue?.first { $0["provider"] == "openai" }
            #expect(openai?["feedback"] == ["count": 1, "mean_score": 1])
            try poll(until: "the rating in usage.get") {
                let usage = try client.call("usage.get", params: ["since": "1h", "group_by": ["provider", "model"]])
                return usage["rows"]?.arrayValue?.first?["feedback_count"] == .int(1)
                    && usage["totals"]?["feedback_mean_score"] == .double(1)
            }
            // Each stored rating reaches the metrics' histogram (two ratings: the first and its replacement).
            let exposition = try client.call("metrics")["text"]?.stringValue ?? ""
            #expect(exposition.contains("junction_feedback_score_count{provider=\"openai\",model=\"gpt-4o-mini\"} 2"))
            let cost = try #require(snapshot["cost_today_usd"]?.doubleValue)
            #expect(cost > 0)
            // Bad input: clear errors.
            for (params, field) in [
                (["request_id": .string(id), "score": 1.5] as JSONValue, "score"),
                (["request_id": .string(id), "score": "good"], "score"),
                (["request_id": "r-unknown", "score": 1], "request_id"),
                (
                    ["request_id": .string(id), "score": 1, "comment": .string(String(repeating: "x", count: 2_001))],
                    "comment"
                ),
            ] {
                do {
                    _ = try client.call("feedback", params: params)
                    Issue.record("accepted \(params)")
                } catch let error as RPCError {
                    #expect(error.code == RPCErrorCode.invalidParams.rawValue)
                    #expect(error.data?["field"] == .string(field), "\(error.message)")
                }
            }
            // A restart keeps today's cost and the ratings: both are seeded from the ledger.
            try daemon.stop()
            let restarted = try DaemonProcess(
                config: try String(contentsOfFile: daemon.configPath, encoding: .utf8), socket: daemon.socket,
                environment: SimProcess.keys.merging(["STATE_DIRECTORY": daemon.directory.path]) { $1 }
            )
            let seeded = try restarted.client().call("stats.snapshot")
            #expect(seeded["requests_total"] == .int(0))
            #expect(seeded["feedback"] == ["count": 1, "mean_score": 1])
            #expect(seeded["cost_today_usd"]?.doubleValue == cost)
            let target = seeded["providers"]?.arrayValue?.first { $0["provider"] == "openai" }?["targets"]?.arrayValue?
                .first { $0["model"] == "gpt-4o-mini" }
            #expect(target?["cost_today_usd"]?.doubleValue == cost)
            #expect(target?["feedback"] == ["count": 1, "mean_score": 1])
        }

        @Test func feedbackWithoutTheLedgerSaysItNeedsIt() throws {
            let daemon = try DaemonProcess(config: "[ledger]\nenabled = false\n")
            do {
                _ = try daemon.client().call("feedback", params: ["request_id": "r1-1", "score": 1])
                Issue.record("feedback accepted without a ledger")
            } catch let error as RPCError {
                #expect(error.code == RPCErrorCode.ledgerUnavailable.rawValue)
                #expect(
                    error.message.contains("Feedback needs the ledger, which is disabled: set [ledger] enabled = true"))
            }
            // The snapshot still answers, and says the ledger is off.
            #expect(try daemon.client().call("stats.snapshot")["ledger"]?["state"] == "disabled")
        }

        @Test(.enabled(if: getuid() == 0, "needs root to run a client as nobody"))
        func aCallerMayRateOnlyItsOwnRequests() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: "[server]\nsocket_mode = \"0666\"\n")
            chmod(daemon.directory.path, 0o755)
            let id = try #require(
                try daemon.client().call("generate", params: ["prompt": "hi", "model": "openai:gpt-4o-mini"])[
                    "request_id"]?
                    .stringValue
            )
            let nobody = try runCommand(
                "/usr/bin/setpriv",
                [
                    "--reuid=nobody", "--regid=nogroup", "--clear-groups", binaryDirectory() + "/junctionctl",
                    "--socket",
                    daemon.socket, "feedback", id, "0",
                ]
            )
            #expect(nobody.status == 1)
            #expect(nobody.stderr.contains("error -32004: Permission denied: request \(id) is another user's"))
            // The snapshot is for any caller.
            let snapshot = try runCommand(
                "/usr/bin/setpriv",
                [
                    "--reuid=nobody", "--regid=nogroup", "--clear-groups", binaryDirectory() + "/junctionctl",
                    "--socket",
                    daemon.socket, "top", "--once",
                ]
            )
            #expect(snapshot.status == 0, "\(snapshot.stderr)")
            // Root (an administrator) may rate it.
            #expect(
                try daemon.client().call("feedback", params: ["request_id": .string(id), "score": 0])["score"] == 0)
        }

        @Test func topOnceprintsOnePlainFrameAndFailsClearlyWithoutADaemon() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            _ = try daemon.client().call("generate", params: ["prompt": "hi", "model": "openai:gpt-4o-mini"])
            let frame = try self.ctl(["top", "--once", "--socket", daemon.socket])
            #expect(frame.status == 0, "\(frame.stderr)")
            #expect(!frame.stdout.contains("\u{1B}"))  // a pipe: no escape codes
            let lines = frame.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.first?.hasPrefix("junctiond ") == true)
            #expect(lines.contains { $0.hasPrefix("PROVIDER/MODEL") })
            #expect(lines.contains { $0.hasPrefix("  gpt-4o-mini") })
            #expect(lines.contains { $0.hasPrefix("cursor") })  // every provider, with no height limit in a pipe
            #expect(lines.allSatisfy { $0.count <= 80 })
            #expect(!frame.stdout.contains("q quit"))
            let json = try self.ctl(["top", "--once", "--json", "--socket", daemon.socket])
            #expect(try JSONValue.parse(json.stdout)["requests_total"] == .int(1))
            try daemon.stop()
            let gone = try self.ctl(["top", "--once", "--socket", daemon.socket])
            #expect(gone.status == 3)
            #expect(gone.stderr.contains("hint: is junctiond running?"))
            #expect(gone.stdout.isEmpty)
        }
    }
}
