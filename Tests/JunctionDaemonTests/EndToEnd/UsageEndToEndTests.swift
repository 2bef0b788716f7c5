import Foundation
import JunctionClient
import JunctionCore
import JunctionRPC
import Testing

@testable import JunctionDaemon

extension EndToEnd {
    /// `usage.get`, `usage.export` and `junctionctl usage` against a real daemon whose ledger the test fills.
    @Suite("Usage from the ledger")
    struct UsageEndToEndTests {
        private func ctl(_ arguments: [String]) throws -> CommandResult {
            try runCommand(binaryDirectory() + "/junctionctl", arguments, environment: ["PATH": "/usr/bin:/bin"])
        }

        /// A daemon and, written into its ledger from outside (SQLite allows a second process), five requests of
        /// the last hour: three by root, two by nobody.
        private func daemonWithRows() async throws -> DaemonProcess {
            let daemon = try DaemonProcess(config: "[server]\nsocket_mode = \"0666\"\n")
            let now = LedgerWriter.wallClockMilliseconds()
            let store = try LedgerStore(path: daemon.directory.path + "/ledger.sqlite")
            let rows: [LedgerRequestRow] = [
                .sample("a", time: now - 3_000_000, uid: 0, client: "say \"hi\", then go", model: "gpt-4o"),
                .sample("b", time: now - 2_000_000, uid: 0, client: "editor", model: "gpt-4o"),
                .sample("c", time: now - 1_000_000, uid: 0, provider: "anthropic", model: "claude", cost: nil),
                .sample("d", time: now - 900_000, uid: 65_534, client: "ci", model: "gpt-4o", outcome: "timeout"),
                .sample("e", time: now - 800_000, uid: 65_534, client: "ci", model: "gpt-4o"),
            ]
            try await store.insert(requests: rows, attempts: rows.map { .sample($0.requestID) })
            return daemon
        }

        @Test func usageGetGroupsAndTotalsTheLedgersRows() async throws {
            let daemon = try await self.daemonWithRows()
            let client = try daemon.client()
            let status = try client.call("daemon.status")["ledger"]
            #expect(status?["state"] == "ok")
            #expect(status?["path"]?.stringValue == daemon.directory.path + "/ledger.sqlite")
            let usage = try client.call("usage.get", params: ["since": "24h", "group_by": ["provider", "model"]])
            let rows = usage["rows"]?.arrayValue ?? []
            #expect(rows.map { $0["model"]?.stringValue } == ["claude", "gpt-4o"])
            #expect(rows.map { $0["requests"]?.intValue } == [1, 4])
            #expect(rows[1]["errors"] == .int(1))
            #expect(rows[1]["cost_usd"] == .number("0.006000"))
            #expect(rows[0]["cost_usd"] == .null)  // every row of the group has an unknown cost: not $0
            #expect(rows[0]["cost_unknown"] == .int(1))
            #expect(usage["totals"]?["requests"] == .int(5))
            #expect(usage["totals"]?["prompt_tokens"] == .int(500))
            #expect(usage["group_by"] == ["provider", "model"])
            let filtered = try client.call(
                "usage.get", params: ["since": "1h", "where": ["client": "ci", "outcome": "error"]]
            )
            #expect(filtered["totals"]?["requests"] == .int(1))
            #expect(throws: RPCError.self) {
                try client.call("usage.get", params: ["since": "24h", "group_by": ["team"]])
            }
            do {
                _ = try client.call("usage.get", params: ["since": "yesterday"])
                Issue.record("a malformed since was accepted")
            } catch let error as RPCError {
                #expect(error.code == RPCErrorCode.invalidParams.rawValue)
                #expect(error.message.contains("\"24h\" or \"7d\", or an RFC 3339 time"))
            }
        }

        @Test func junctionctlPrintsATableWithTotals() async throws {
            let daemon = try await self.daemonWithRows()
            let table = try self.ctl(["usage", "--socket", daemon.socket, "--by", "provider,model"])
            #expect(table.status == 0, "\(table.stderr)")
            let lines = table.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("usage from ") == true)
            #expect(lines[1].hasPrefix("PROVIDER   MODEL   REQUESTS  ERRORS"))
            #expect(lines.contains { $0.hasPrefix("openai     gpt-4o  4") && $0.hasSuffix("0.006000") })
            #expect(lines.contains { $0.hasPrefix("TOTAL") && $0.contains("0.006000 (+1 unknown)") })
            #expect(table.stdout.contains("cost unknown for 1 request (no price for the model)"))
            #expect(lines.contains { $0.hasPrefix("anthropic  claude") && $0.hasSuffix("unknown") })
            // Without groups: the totals alone.
            let totals = try self.ctl(["usage", "--socket", daemon.socket]).stdout.split(separator: "\n")
            #expect(totals.count == 4)
            #expect(totals[2].hasPrefix("5         1       500"))
            // Global options before the subcommand, and the default subcommand named.
            let json = try self.ctl(["--socket", daemon.socket, "--json", "usage", "summary", "--since", "2h"])
            #expect(try JSONValue.parse(json.stdout)["totals"]?["requests"] == .int(5))
        }

        @Test func exportWritesEveryRowAsCSVOrJSONLines() async throws {
            let daemon = try await self.daemonWithRows()
            let csv = try self.ctl(["--socket", daemon.socket, "usage", "export", "--since", "7d", "--page-size", "2"])
            #expect(csv.status == 0, "\(csv.stderr)")
            let lines = csv.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 6)
            #expect(lines[0].hasPrefix("request_id,time,time_ms,uid,gid,pid,client,route,requested_model,provider,"))
            #expect(lines[1].hasPrefix("a,"))
            #expect(lines[1].contains(#","say ""hi"", then go","#))
            #expect(lines.dropFirst().map { String($0.prefix(1)) } == ["a", "b", "c", "d", "e"])
            let jsonl = try self.ctl(
                ["usage", "export", "--socket", daemon.socket, "--since", "7d", "--format", "jsonl"]
            )
            let objects = try jsonl.stdout.split(separator: "\n").map { try JSONValue.parse(String($0)) }
            #expect(objects.map { $0["request_id"]?.stringValue } == ["a", "b", "c", "d", "e"])
            #expect(objects[2]["cost_usd"] == .null)
            #expect(objects[0]["attempt_rows"]?.arrayValue?.first?["http_status"] == .int(200))
        }

        @Test(.enabled(if: getuid() == 0, "needs root to run a client as nobody"))
        func aCallerWhoIsNotAnAdministratorSeesOnlyItsOwnRows() async throws {
            let daemon = try await self.daemonWithRows()
            chmod(daemon.directory.path, 0o755)  // let nobody reach the socket inside the private directory
            func asNobody(_ arguments: [String]) throws -> CommandResult {
                try runCommand(
                    "/usr/bin/setpriv",
                    ["--reuid=nobody", "--regid=nogroup", "--clear-groups", binaryDirectory() + "/junctionctl"]
                        + ["--socket", daemon.socket] + arguments
                )
            }
            let usage = try asNobody(["call", "usage.get", #"{"since": "24h", "group_by": ["uid"]}"#, "--json"])
            #expect(usage.status == 0, "\(usage.stderr)")
            let rows = try JSONValue.parse(usage.stdout)["rows"]?.arrayValue ?? []
            #expect(rows.map { $0["uid"] } == [.int(65_534)])
            #expect(rows.first?["requests"] == .int(2))
            let export = try asNobody(["usage", "export", "--since", "24h", "--format", "jsonl"])
            #expect(export.stdout.split(separator: "\n").count == 2)
            // Root sees everyone's.
            let all = try daemon.client().call("usage.get", params: ["since": "24h", "group_by": ["uid"]])
            #expect(all["rows"]?.arrayValue?.count == 2)
        }

        @Test func aDisabledLedgerAnswersWhyAndHowToTurnItOn() throws {
            let daemon = try DaemonProcess(config: "[ledger]\nenabled = false\n")
            let client = try daemon.client()
            #expect(try client.call("daemon.status")["ledger"]?["state"] == "disabled")
            do {
                _ = try client.call("usage.get", params: ["since": "24h"])
                Issue.record("usage.get answered with the ledger disabled")
            } catch let error as RPCError {
                #expect(error.code == RPCErrorCode.ledgerUnavailable.rawValue)
                #expect(error.message.contains("set [ledger] enabled = true and restart junctiond"))
            }
            #expect(!FileManager.default.fileExists(atPath: daemon.directory.path + "/ledger.sqlite"))
            let ctl = try self.ctl(["--socket", daemon.socket, "usage"])
            #expect(ctl.status == 1)
            #expect(ctl.stderr.contains("error -32010: Ledger disabled"))
        }
    }
}
