import Foundation
import JunctionClient
import JunctionCore
import NIOConcurrencyHelpers
import Testing

extension EndToEnd {
    /// Accounting through the real daemon, libcurl and junction-sim: true cost for every provider kind, unknown
    /// prices, budgets enforced before the money is spent, the ledger's durability, and who sees what.
    @Suite("Accounting end to end")
    struct AccountingTests {
        /// The usage junction-sim reports for a model, in its own dialect's fields.
        private static let usage: JSONValue = ["prompt": 1200, "cached": 200, "completion": 50, "reasoning": 20]

        /// A model of the openai-compatible provider `local` (no built-in prices), priced at `usd` per 1M tokens
        /// for input and output alike.
        private static func priced(_ model: String, usd: Int) -> String {
            "[[providers.local.models]]\nid = \"\(model)\"\ninput_usd_per_mtok = \(usd)\noutput_usd_per_mtok = \(usd)"
        }

        /// Rows of the ledger for `client`, once the writer has flushed them all (it flushes every 250 ms).
        private func ledgerTotals(
            _ client: RPCClient,
            requests: Int,
            params: JSONObject = [:]
        ) throws -> JSONValue {
            var totals: JSONValue = .null
            var query = params
            query["since"] = "1h"
            try poll(until: "\(requests) request(s) in the ledger; last totals: \(totals)") {
                totals = try client.call("usage.get", params: .object(query))["totals"] ?? .null
                return totals["requests"]?.intValue == requests
            }
            return totals
        }

        /// Every provider kind is priced from its own usage fields (normalised first); the figures are computed by
        /// hand from the built-in table (USD per 1M tokens) and must match the result and the ledger exactly.
        @Test func everyProviderKindIsCostedFromItsOwnUsage() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: "[[providers.local.models]]\nid = \"house-model\"\n")
            let client = try daemon.client()
            let anthropicUsage: JSONValue = [
                "prompt": 1200, "cached": 200, "cache_write": 300, "cache_write_1h": 100, "completion": 50,
            ]
            let cases: [(target: String, usage: JSONValue, micro: Int?)] = [
                // gpt-4o-mini 0.15 / cached 0.075 / 0.60: 1000×0.15 + 200×0.075 + 30×0.60 + 20×0.60 = 150+15+18+12
                ("openai:gpt-4o-mini", Self.usage, 195),
                // claude-sonnet-4-5 3 / read 0.30 / write 3.75 (5 min), 6 (1 h) / 15: input_tokens excludes the
                // cache: 700×3 + 200×0.30 + (200×3.75 + 100×6) + 50×15 = 2100+60+1350+750
                ("anthropic:claude-sonnet-4-5", anthropicUsage, 4260),
                // gemini-2.5-flash 0.30 / cached 0.03 / 2.50, thoughts outside candidates:
                // 1000×0.30 + 200×0.03 + 30×2.50 + 20×2.50 = 300+6+75+50
                ("gemini:gemini-2.5-flash", Self.usage, 431),
                // deepseek-chat miss 0.28 / hit 0.028 / 0.42, each part rounded half up:
                // 1000×0.28 + 200×0.028 (5.6 → 6) + 30×0.42 (12.6 → 13) + 20×0.42 (8.4 → 8)
                ("deepseek:deepseek-chat", Self.usage, 307),
                // qwen-plus 0.40 / cached 0.08 / 1.20: 1000×0.40 + 200×0.08 + 30×1.20 + 20×1.20 = 400+16+36+24
                ("qwen:qwen-plus", Self.usage, 476),
                ("ollama:llama3.2", Self.usage, 0),  // local inference: free by rule
                ("local:house-model", Self.usage, nil),  // no price known: NULL, never 0
                ("cursor:cursor-fast", Self.usage, nil),  // cursor: no built-in prices either
            ]
            for entry in cases {
                let model = String(entry.target.split(separator: ":")[1])
                try sim.setUsage(model: model, usage: entry.usage)
                let result = try client.call("generate", params: ["prompt": "hi", "model": .string(entry.target)])
                #expect(result["cost"]?["total_micro_usd"]?.intValue == entry.micro, "\(entry.target)")
                #expect(result["cost_known"]?.boolValue == (entry.micro != nil), "\(entry.target)")
                #expect(result["request_id"]?.stringValue?.hasPrefix("r") == true)
                if let micro = entry.micro {
                    #expect(result["cost_usd"]?.doubleValue == Double(micro) / 1e6, "\(entry.target)")
                } else {
                    #expect(result["cost_usd"] == .null)
                }
            }
            // The anthropic answer: cache writes counted once, in cache_write_tokens (inside prompt_tokens).
            let totals = try self.ledgerTotals(client, requests: cases.count)
            #expect(totals["cost_unknown"]?.intValue == 2)
            #expect(totals["cost_usd"]?.doubleValue.map { ($0 * 1e6).rounded() } == Double(195 + 4260 + 431 + 307 + 476))
            #expect(totals["cache_write_tokens"]?.intValue == 300)
            #expect(totals["prompt_tokens"]?.intValue == 1200 * cases.count)
        }

        /// A model without a price costs NULL (not 0), is warned about once, is counted in daemon.status, and under
        /// a USD budget is refused by default.
        @Test func anUnknownPriceIsNeverZero() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(
                extra: """
                    [[providers.local.models]]
                    id = "house-model"
                    [budgets.batch]
                    match = { client = "batch" }
                    daily_usd = 1.0

                    """
            )
            let client = try daemon.client()
            for _ in 0..<2 {
                let result = try client.call("generate", params: ["prompt": "hi", "model": "local:house-model"])
                #expect(result["cost_usd"] == .null)
                #expect(result["cost_known"] == false)
            }
            let status = try client.call("daemon.status")
            #expect(status["unknown_price_models"]?.intValue == 1)
            #expect(status["unknown_price_targets"] == ["local:house-model"])
            try daemon.waitForLog("no price known for a billed model")
            #expect(daemon.log.components(separatedBy: "no price known for a billed model").count - 1 == 1)
            do {
                _ = try client.call(
                    "generate", params: ["prompt": "hi", "model": "local:house-model", "client": "batch"]
                )
                Issue.record("a request of unknown price was admitted under a USD budget")
            } catch let reply as RPCClient.ErrorReply {
                #expect(reply.code == -32003)
                #expect(reply.data?["kind"] == "unknown_price")
                #expect(reply.data?["budget"] == "batch")
                #expect(reply.message.contains("price"))
            }
            let totals = try self.ledgerTotals(client, requests: 3)
            #expect(totals["cost_unknown"]?.intValue == 2)
            #expect(totals["errors"]?.intValue == 1)
        }

        /// With reservations, 64 concurrent requests against a budget that holds 10 worst cases: at most 10 are
        /// admitted and the recorded spend stays within the limit.
        @Test func concurrentRequestsCannotOverspendABudget() throws {
            let sim = try SimProcess()
            // $100 per 1M tokens both ways; "hi" is estimated at 5 prompt tokens, max_tokens 5: the worst case is
            // 5×100 + 5×100 = 1,000 micro-USD, and $0.01 holds ten.
            let daemon = try sim.daemon(
                extra: """
                    \(Self.priced("priced", usd: 100))
                    [budgets.team]
                    daily_usd = 0.01

                    """
            )
            try sim.setUsage(model: "priced", usage: ["prompt": 5, "completion": 5])
            try sim.setFault(model: "priced", fault: "pace-40")  // 5 tokens: each request runs ~200 ms, all overlap
            let outcomes = NIOLockedValueBox<[Int]>([])  // 0: answered, else the error code
            let socket = daemon.socket
            // 64 threads, each its own connection: the requests are really concurrent.
            let group = DispatchGroup()
            for _ in 0..<64 {
                group.enter()
                Thread {
                    defer { group.leave() }
                    do {
                        let client = try RPCClient(path: socket, timeout: 20)
                        _ = try client.call(
                            "generate",
                            params: ["prompt": "hi", "model": "local:priced", "max_tokens": 5, "stream": true]
                        )
                        outcomes.withLockedValue { $0.append(0) }
                    } catch let reply as RPCClient.ErrorReply {
                        outcomes.withLockedValue { $0.append(reply.code) }
                    } catch {
                        outcomes.withLockedValue { $0.append(-1) }
                    }
                }.start()
            }
            group.wait()
            let seen = outcomes.withLockedValue { $0 }
            let admitted = seen.filter { $0 == 0 }.count
            #expect(seen.count == 64)
            #expect(admitted <= 10)
            #expect(admitted >= 1)
            #expect(seen.filter { $0 == -32003 }.count == 64 - admitted)
            let client = try daemon.client()
            let totals = try self.ledgerTotals(client, requests: 64)
            let spent = (totals["cost_usd"]?.doubleValue ?? 99) * 1e6
            #expect(spent.rounded() <= 10_000)
            #expect(spent.rounded() == Double(admitted * 1_000))
            let day = try client.call("quota.get")["budgets"]?.arrayValue?.first?["day"]
            #expect(((day?["spent_usd"]?.doubleValue ?? 99) * 1e6).rounded() == Double(admitted * 1_000))
            #expect(day?["reserved_usd"]?.doubleValue == 0)
        }

        /// A stream cut after some tokens was billed for them: the failed attempt's cost adds to the request's, the
        /// budget is charged both attempts, and the ledger has a row for each attempt.
        @Test func aCutStreamIsBilledAndCharged() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(
                extra: """
                    \(Self.priced("flaky", usd: 1000))
                    [routes.r]
                    targets = ["local:flaky", "openai:gpt-4o-mini"]
                    [budgets.all]
                    daily_usd = 10.0

                    """
            )
            try sim.setFault(model: "flaky", fault: "cut-8")
            let client = try daemon.client()
            // max_tokens 20: without it the worst case would be the fallback's whole context window at $1,000 per 1M.
            let result = try client.call(
                "generate", params: ["prompt": "hi", "route": "r", "stream": true, "max_tokens": 20]
            )
            let attempts = result["attempts"]?.arrayValue ?? []
            #expect(attempts.count == 2)
            let cut = attempts.first
            #expect(cut?["reason"] == "stream_cut")
            // Eight tokens of text reached the caller before the cut: about that much output was billed.
            #expect((cut?["billed_usage"]?["completion_tokens"]?.intValue ?? 0) >= 8)
            let failedCost = result["cost"]?["failed_attempts_usd"]?.doubleValue ?? 0
            #expect(failedCost > 0)
            #expect((result["cost_usd"]?.doubleValue ?? 0) > failedCost)
            let spent = result["budget"]?.arrayValue?.first?["day"]?["spent_usd"]?.doubleValue
            #expect(spent == result["cost_usd"]?.doubleValue)
            try poll(until: "the request and its two attempts in the ledger") {
                let rows = try client.call("usage.export", params: ["since": "1h"])["rows"]?.arrayValue ?? []
                return rows.first?["attempt_rows"]?.arrayValue?.count == 2
            }
        }

        /// A failover reserves its own worst case before it is sent: a budget that holds one attempt stops the
        /// request after a billed failure rather than let a second attempt overspend it.
        @Test func aFailoverMustFitTheBudgetToo() throws {
            let sim = try SimProcess()
            // Each attempt's worst case: (5 + 20 tokens) × $1,000 per 1M = $0.025; the budget holds $0.03.
            let daemon = try sim.daemon(
                extra: """
                    \(Self.priced("flaky", usd: 1000))
                    \(Self.priced("backup", usd: 1000))
                    [routes.r]
                    targets = ["local:flaky", "local:backup"]
                    [budgets.all]
                    daily_usd = 0.03

                    """
            )
            try sim.setFault(model: "flaky", fault: "cut-8")
            let client = try daemon.client()
            do {
                _ = try client.call(
                    "generate", params: ["prompt": "hi", "route": "r", "stream": true, "max_tokens": 20]
                )
                Issue.record("the failover was sent although the budget could not hold it")
            } catch let reply as RPCClient.ErrorReply {
                #expect(reply.code == -32003)
                #expect(reply.data?["kind"] == "usd")
                #expect(reply.data?["attempts"]?.arrayValue?.count == 1)
                #expect((reply.data?["cost_usd"]?.doubleValue ?? 0) > 0)  // the cut attempt was billed
            }
            #expect(try sim.requests().allSatisfy { $0["model"] != "backup" })
            let day = try client.call("quota.get")["budgets"]?.arrayValue?.first?["day"]
            let spent = day?["spent_usd"]?.doubleValue ?? 1
            #expect(spent <= 0.03)
            #expect(spent > 0)
            #expect(day?["reserved_usd"]?.doubleValue == 0)

            // A failure that billed nothing (a 503) leaves the reservation for the failover: it is sent.
            try sim.setFault(model: "flaky", fault: "503")
            try sim.setUsage(model: "backup", usage: ["prompt": 1, "completion": 1])
            let answered = try client.call(
                "generate", params: ["prompt": "hi", "route": "r", "max_tokens": 1]
            )
            #expect(answered["provider"] == "local")
            #expect(answered["model"] == "backup" || answered["attempts"]?.arrayValue?.count == 2)
            #expect(answered["cost"]?["total_micro_usd"]?.intValue == 2_000)  // 1 + 1 tokens at $1,000 per 1M
        }

        /// A cancelled request is charged what the provider billed: the tokens streamed before the cancel, in the
        /// ledger and in the budget.
        @Test func aCancelledRequestIsChargedWhatWasBilled() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(
                extra: """
                    \(Self.priced("slow", usd: 1000))
                    [budgets.all]
                    daily_usd = 10.0

                    """
            )
            try sim.setFault(model: "slow", fault: "pace-150")
            let client = try daemon.client()
            var deltas = 0
            do {
                _ = try client.call(
                    "generate", params: ["prompt": "hi", "model": "local:slow", "stream": true, "max_tokens": 20]
                ) { method, _ in
                    guard method == "generate.delta" else { return }
                    deltas += 1
                    if deltas == 3 {
                        try? client.send(line: Array(#"{"jsonrpc":"2.0","method":"cancel","params":{"id":1},"id":99}"#.utf8))
                    }
                }
                Issue.record("the cancelled request was answered")
            } catch let reply as RPCClient.ErrorReply {
                #expect(reply.code == -32005)
            }
            var row: JSONValue = .null
            try poll(until: "the cancelled request in the ledger; last: \(row)") {
                row = try client.call("usage.export", params: ["since": "1h"])["rows"]?.arrayValue?.first ?? .null
                return row != .null
            }
            #expect(row["outcome"] == "cancelled")
            #expect(row["error_code"]?.intValue == -32005)
            // At least the three tokens the caller saw were billed ($0.001 each at $1,000 per 1M).
            #expect((row["completion_tokens"]?.intValue ?? 0) >= 3)
            #expect((row["cost_usd"]?.doubleValue ?? 0) >= 0.003)
            let day = try client.call("quota.get")["budgets"]?.arrayValue?.first?["day"]
            #expect(day?["spent_usd"]?.doubleValue == row["cost_usd"]?.doubleValue)
            #expect(day?["reserved_usd"]?.doubleValue == 0)
        }

        /// A unary request that times out after it was sent has an unknown bill: the provider may have billed it in
        /// full. Its cost is recorded as unknown (never $0) and the budget is charged the reservation.
        @Test func aTimedOutRequestIsNeverFree() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(
                extra: """
                    \(Self.priced("stuck", usd: 1000))
                    [budgets.all]
                    daily_usd = 10.0

                    """
            )
            try sim.setFault(model: "stuck", fault: "hang")
            let client = try daemon.client()
            do {
                _ = try client.call(
                    "generate", params: ["prompt": "hi", "model": "local:stuck", "max_tokens": 20, "timeout_ms": 400]
                )
                Issue.record("a hung upstream answered")
            } catch let reply as RPCClient.ErrorReply {
                #expect(reply.code == -32007)
                #expect(reply.data?["cost_usd"] == .null)
                #expect(reply.data?["cost"]?["unknown_bill_attempts"]?.intValue == 1)
            }
            var row: JSONValue = .null
            try poll(until: "the timed-out request in the ledger; last: \(row)") {
                row = try client.call("usage.export", params: ["since": "1h"])["rows"]?.arrayValue?.first ?? .null
                return row != .null
            }
            #expect(row["outcome"] == "timeout")
            #expect(row["cost_usd"] == .null)
            // The reservation: 5 estimated prompt tokens and max_tokens 20 at $1,000 per 1M = $0.025.
            let day = try client.call("quota.get")["budgets"]?.arrayValue?.first?["day"]
            #expect(day?["spent_usd"]?.doubleValue == 0.025)
            #expect(day?["reserved_usd"]?.doubleValue == 0)
        }

        /// A reload applies new budget limits at once and keeps what the day has spent.
        @Test func aReloadChangesLimitsAndKeepsSpend() throws {
            let sim = try SimProcess()
            let budget = { (limit: String) in "[budgets.all]\ndaily_usd = \(limit)\n" }
            let daemon = try sim.daemon(extra: budget("1.0"))
            let client = try daemon.client()
            try sim.setUsage(model: "gpt-4o-mini", usage: ["prompt": 1000, "completion": 1000])
            _ = try client.call("generate", params: ["prompt": "hi", "model": "openai:gpt-4o-mini", "max_tokens": 10])
            let config = sim.providersConfig(extra: budget("0.0005"))
            try config.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
            _ = try client.call("admin.reload")
            let day = try client.call("quota.get")["budgets"]?.arrayValue?.first?["day"]
            #expect(day?["limit_usd"]?.doubleValue == 0.0005)
            #expect(day?["spent_usd"]?.doubleValue == 0.00075)
            do {
                _ = try client.call(
                    "generate", params: ["prompt": "hi", "model": "openai:gpt-4o-mini", "max_tokens": 10]
                )
                Issue.record("the lowered limit was not applied")
            } catch let reply as RPCClient.ErrorReply {
                #expect(reply.code == -32003)
            }
        }

        /// Budgets are seeded from the ledger at start: a restart does not reset what the day has spent, and an
        /// alert that fired before the restart does not fire again.
        @Test func aRestartKeepsBudgetSpendAndAlerts() throws {
            let sim = try SimProcess()
            let state = try TemporaryDirectory()
            let extra = """
                [ledger]
                path = "\(state.path)/ledger.sqlite"
                [budgets.all]
                daily_usd = 0.001
                alert_at = [0.5]

                """
            try sim.setUsage(model: "gpt-4o-mini", usage: ["prompt": 1000, "completion": 1000])  // 150+600 micro
            var daemon = try sim.daemon(extra: extra)
            var client = try daemon.client()
            let events = try daemon.client()
            _ = try events.call("events.subscribe", params: ["topics": ["budget.alert"]])
            // max_tokens 10: a worst case of 1 + 6 micro-USD fits; the answer then reports 1,000 + 1,000 tokens.
            let result = try client.call(
                "generate", params: ["prompt": "hi", "model": "openai:gpt-4o-mini", "max_tokens": 10]
            )
            #expect(result["cost"]?["total_micro_usd"]?.intValue == 750)
            let alert = try events.receive()
            #expect(alert["method"] == "event")
            #expect(alert["params"]?["topic"] == "budget.alert")
            #expect(alert["params"]?["threshold"]?.doubleValue == 0.5)
            #expect(alert["params"]?["budget"] == "all")
            try daemon.waitForLog("budget all: 50 % of the day's limit spent")
            #expect(try daemon.stop() == 0)

            daemon = try sim.daemon(extra: extra)
            client = try daemon.client()
            let day = try client.call("quota.get")["budgets"]?.arrayValue?.first?["day"]
            #expect(day?["spent_usd"]?.doubleValue == 0.00075)
            #expect(day?["requests"]?.intValue == 1)
            // $0.00025 left: the next worst case (prompt + max_tokens 1000 at $0.60 per 1M) does not fit.
            do {
                _ = try client.call(
                    "generate", params: ["prompt": "hi", "model": "openai:gpt-4o-mini", "max_tokens": 1000]
                )
                Issue.record("the restarted daemon forgot the day's spend")
            } catch let reply as RPCClient.ErrorReply {
                #expect(reply.code == -32003)
                #expect(reply.data?["kind"] == "usd")
                #expect(reply.data?["spent_usd"]?.doubleValue == 0.00075)
                #expect(reply.data?["resets_at"]?.stringValue?.hasSuffix("T00:00:00Z") == true)
            }
            #expect(!daemon.log.contains("50 % of the day's limit spent"))
        }

        /// After SIGTERM no row is lost; after kill -9 under load, at most the last second of rows.
        @Test func theLedgerSurvivesSigtermAndKill() throws {
            let sim = try SimProcess()
            let state = try TemporaryDirectory()
            let extra = "[ledger]\npath = \"\(state.path)/ledger.sqlite\"\n"
            var daemon = try sim.daemon(extra: extra)
            var client = try daemon.client()
            for _ in 0..<200 { _ = try client.call("generate", params: ["prompt": "hi"]) }
            #expect(try daemon.stop() == 0)  // at once: most of these rows are still queued
            daemon = try sim.daemon(extra: extra)
            client = try daemon.client()
            #expect(try client.call("usage.get", params: ["since": "1h"])["totals"]?["requests"]?.intValue == 200)

            // Under load for ~2 s, then kill -9: every request answered more than a second before must be there.
            var answered: [(id: String, at: ContinuousClock.Instant)] = []
            let start = ContinuousClock.now
            while ContinuousClock.now - start < .seconds(2) {
                let result = try client.call("generate", params: ["prompt": "hi"])
                answered.append((result["request_id"]?.stringValue ?? "", ContinuousClock.now))
            }
            let killed = ContinuousClock.now
            daemon.signal(SIGKILL)
            _ = try daemon.waitForExit()
            daemon = try sim.daemon(extra: extra)
            client = try daemon.client()
            var recorded = Set<String>()
            var after: JSONValue = .null
            repeat {
                var params: JSONObject = ["since": "1h", "limit": 1000]
                if after != .null { params["after"] = after }
                let page = try client.call("usage.export", params: .object(params))
                for row in page["rows"]?.arrayValue ?? [] { recorded.insert(row["request_id"]?.stringValue ?? "") }
                after = page["next"] ?? .null
            } while after != .null
            let old = answered.filter { killed - $0.at > .seconds(1) }
            #expect(!old.isEmpty)
            let missing = old.filter { !recorded.contains($0.id) }
            #expect(missing.isEmpty, "\(missing.count) of \(old.count) rows older than 1 s lost")
            #expect(recorded.count >= 200 + old.count)
        }

        /// A full disk: requests keep being answered, dropped rows are counted and reported, daemon.status shows
        /// the ledger failing, and the ledger recovers by itself when there is room again.
        @Test(.enabled(if: getuid() == 0, "needs root for a private tmpfs"))
        func aFullDiskNeverStopsRequests() throws {
            let sim = try SimProcess()
            let mount = try TemporaryDirectory()
            let outside = try TemporaryDirectory()
            let config = sim.providersConfig(
                extra: "[ledger]\npath = \"\(mount.path)/ledger.sqlite\"\nqueue_capacity = 200\n"
            )
            let configFile = try outside.write("junction.toml", contents: config)
            let socket = outside.path + "/junction.sock"
            // A 512 KiB tmpfs over `mount`, in the daemon's own mount namespace.
            let script = """
                mount -t tmpfs -o size=512k tmpfs \(mount.path) \
                && exec \(binaryDirectory())/junctiond --config \(configFile) --socket \(socket)
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            process.arguments = ["-m", "--propagation", "private", "/bin/sh", "-c", script]
            var environment = SimProcess.keys
            environment["PATH"] = "/usr/bin:/bin"
            process.environment = environment
            let log = try outside.write("daemon.log", contents: "")
            process.standardInput = FileHandle.nullDevice
            process.standardError = FileHandle(forWritingAtPath: log)
            process.standardOutput = FileHandle(forWritingAtPath: log)
            try process.run()
            defer {
                if process.isRunning {
                    kill(process.processIdentifier, SIGKILL)
                    process.waitUntilExit()
                }
            }
            let inside = "/proc/\(process.processIdentifier)/root\(mount.path)"
            var client: RPCClient?
            try poll(until: "the daemon with its ledger on a tmpfs accepts connections") {
                client = try? RPCClient(path: socket, timeout: 10)
                return client != nil
            }
            guard let client else { return }
            let filler = "\(inside)/filler"
            _ = try runCommand("/bin/sh", ["-c", "dd if=/dev/zero of=\(filler) bs=4k 2>/dev/null; true"])
            // Requests are answered however full the disk is.
            for _ in 0..<600 {
                let result = try client.call("generate", params: ["prompt": .string(String(repeating: "x", count: 200))])
                #expect(result["text"]?.stringValue?.isEmpty == false)
            }
            var ledger: JSONValue = .null
            try poll(until: "the ledger failing with rows dropped; last: \(ledger)", timeout: .seconds(15)) {
                ledger = try client.call("daemon.status")["ledger"] ?? .null
                return ledger["state"] == "failing" && (ledger["dropped_rows"]?.intValue ?? 0) > 0
            }
            // Room again: the writer recovers by itself and new rows are written.
            _ = try runCommand("/bin/rm", ["-f", filler])
            let written = ledger["written_rows"]?.intValue ?? 0
            for _ in 0..<20 { _ = try client.call("generate", params: ["prompt": "hi"]) }
            try poll(until: "the ledger ok again; last: \(ledger)", timeout: .seconds(15)) {
                ledger = try client.call("daemon.status")["ledger"] ?? .null
                return ledger["state"] == "ok" && (ledger["written_rows"]?.intValue ?? 0) > written
            }
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(text.contains("ledger dropped"))
        }

        /// A non-admin caller sees only the budgets that match it, and may not ask for all of them.
        @Test(.enabled(if: getuid() == 0, "needs root to run a client as nobody"))
        func aNonAdminSeesOnlyItsOwnBudgets() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(
                extra: """
                    [server]
                    socket_mode = "0666"
                    [budgets.nobody]
                    match = { uid = 65534 }
                    daily_usd = 1.0
                    [budgets.team]
                    match = { uid = 1000 }
                    daily_usd = 2.0

                    """
            )
            chmod(daemon.directory.path, 0o755)
            let asNobody = { (arguments: [String]) throws -> CommandResult in
                try runCommand(
                    "/usr/bin/setpriv",
                    ["--reuid=nobody", "--regid=nogroup", "--clear-groups", binaryDirectory() + "/junctionctl",
                     "--socket", daemon.socket] + arguments,
                    environment: ["PATH": "/usr/bin:/bin"]
                )
            }
            let mine = try asNobody(["--json", "quota"])
            #expect(mine.status == 0, "\(mine.stderr)")
            let budgets = try JSONValue.parse(mine.stdout)["budgets"]?.arrayValue ?? []
            #expect(budgets.map { $0["budget"] } == ["nobody"])
            let all = try asNobody(["quota", "--all"])
            #expect(all.status != 0)
            #expect(all.stderr.contains("administrators"))
            // Budget alerts carry other callers' spend: not for non-admins.
            let alerts = try asNobody(["call", "events.subscribe", #"{"topics": ["budget.alert"]}"#])
            #expect(alerts.status != 0)
            #expect(alerts.stderr.contains("administrators"))
            let everything = try asNobody(["--json", "call", "events.subscribe"])
            #expect(everything.status == 0)
            #expect(!everything.stdout.contains("budget.alert"))
            let root = try daemon.client().call("quota.get", params: ["all": true])["budgets"]?.arrayValue ?? []
            #expect(root.map { $0["budget"] } == ["nobody", "team"])
            let table = try runCommand(
                binaryDirectory() + "/junctionctl", ["--socket", daemon.socket, "quota", "--all"],
                environment: ["PATH": "/usr/bin:/bin"]
            )
            #expect(table.stdout.contains("$1.00 daily"))
            #expect(table.stdout.contains("team"))
        }

        /// The request log: one entry per request with its id, tokens, cost and the prompt's SHA-256, never the
        /// prompt; `[log] prompts = true` adds it.
        @Test func theRequestLogHasOneLinePerRequestAndNoPrompt() throws {
            let sim = try SimProcess()
            let secret = "the-prompt-text-\(UInt32.random(in: 0...UInt32.max))"
            let daemon = try sim.daemon()
            let client = try daemon.client()
            let result = try client.call("generate", params: ["prompt": .string(secret), "model": "openai:gpt-4o-mini"])
            let id = result["request_id"]?.stringValue ?? "?"
            try daemon.waitForLog("request_id=\(id)")
            let line = daemon.log.split(separator: "\n").first { $0.contains("request_id=\(id)") }.map(String.init)
            #expect(line?.contains("request ok: openai:gpt-4o-mini") == true)
            let digest = SHA256.hex(
                of: Array(#"{"system":null,"messages":[{"role":"user","content":"\#(secret)"}]}"#.utf8)
            )
            #expect(line?.contains("prompt_sha256=\(digest)") == true)
            #expect(line?.contains("cost_usd=") == true)
            #expect(!daemon.log.contains(secret))

            let logging = try sim.daemon(extra: "[log]\nprompts = true\n")
            _ = try logging.client().call("generate", params: ["prompt": .string(secret)])
            try logging.waitForLog(secret)
        }
    }
}
