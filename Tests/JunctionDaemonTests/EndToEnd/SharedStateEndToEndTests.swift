import Dispatch
import Foundation
import JunctionClient
import JunctionCore
import NIOConcurrencyHelpers
import Testing

extension EndToEnd {
    /// Several real daemons against one real `redis-server` and `junction-sim` (issue 13): one rate limit, one
    /// budget and one breaker view for the fleet, and a fleet that keeps answering when Redis dies or stalls.
    @Suite(
        "Shared state across daemons",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server"), "needs redis-server")
    )
    struct SharedStateTests {
        private struct Fleet {
            let redis: RedisProcess
            let sim: SimProcess
            let daemons: [DaemonProcess]
        }

        /// `count` daemons sharing `redis` (a fresh one by default), each with `extra` configuration.
        /// `timeout`: 1 s where a test counts exactly what the fleet admitted (one slow reply on a loaded machine
        /// would otherwise make a daemon decide alone); the outage tests give the production-like 50 ms.
        private func fleet(
            _ count: Int,
            extra: String,
            redis: RedisProcess? = nil,
            sharedExtra: String = "",
            timeout: String = "1s"
        ) throws -> Fleet {
            let redis = try redis ?? RedisProcess()
            let sim = try SimProcess()
            let shared = "[shared]\nredis = \"\(redis.url)\"\nprefix = \"test:\"\ntimeout = \"\(timeout)\"\n"
                + sharedExtra
            let daemons = try (0..<count).map { _ in try sim.daemon(extra: shared + extra) }
            for daemon in daemons {
                let client = try daemon.client()
                try poll(until: "the daemon's shared state connects") {
                    try client.call("daemon.status")["shared"]?["state"] == "connected"
                }
            }
            return Fleet(redis: redis, sim: sim, daemons: daemons)
        }

        /// Sends `perDaemon` requests to every daemon at once (one thread per request); returns each one's error
        /// code (nil: answered).
        private func burst(_ fleet: Fleet, perDaemon: Int, params: JSONValue) throws -> [Int?] {
            let codes = NIOLockedValueBox<[Int?]>([])
            let group = DispatchGroup()
            for daemon in fleet.daemons {
                for _ in 0..<perDaemon {
                    group.enter()
                    DispatchQueue.global().async {
                        defer { group.leave() }
                        do {
                            let client = try daemon.client(timeout: 30)
                            _ = try client.call("generate", params: params)
                            codes.withLockedValue { $0.append(nil) }
                        } catch let reply as RPCClient.ErrorReply {
                            codes.withLockedValue { $0.append(reply.code) }
                        } catch {
                            codes.withLockedValue { $0.append(0) }
                        }
                    }
                }
            }
            group.wait()
            return codes.withLockedValue { $0 }
        }

        private static let model = "[[providers.local.models]]\nid = \"fleet-model\"\n"

        /// Waits until `client`'s daemon shows the breaker of `openai:sim-503` open (its own, or adopted).
        private func waitForOpenBreaker(on client: RPCClient, _ what: String) throws {
            try poll(until: what, timeout: .seconds(5)) {
                let health = try client.call("providers.health", params: ["provider": "openai"])
                let target = health["providers"]?.arrayValue?.first?["targets"]?.arrayValue?.first {
                    $0["model"] == "sim-503"
                }
                return target?["breaker"]?["state"] == "open"
            }
        }

        /// Every key the fleet wrote expires (the issue: "every key has a TTL").
        private func expectEveryKeyExpires(_ fleet: Fleet) throws {
            let keys = try fleet.redis.raw(["--scan", "--pattern", "test:*"]).split(separator: "\n").map(String.init)
            #expect(!keys.isEmpty)
            for key in keys {
                let ttl = Int(try fleet.redis.raw(["PTTL", key])) ?? -3
                #expect(ttl > 0, "\(key) has no TTL (\(ttl))")
            }
        }

        private func simSaw(_ fleet: Fleet, model: String) throws -> Int {
            try fleet.sim.requests().filter { $0["model"] == .string(model) }.count
        }

        @Test func aProviderRateLimitHoldsForTheWholeFleet() throws {
            let fleet = try self.fleet(
                3, extra: Self.model + "[providers.local.limits]\nrpm = 12\nmax_queue_wait = \"0s\"\n"
            )
            let codes = try self.burst(
                fleet, perDaemon: 8,
                params: ["prompt": "hi", "model": "local:fleet-model", "timeout_ms": 2000]
            )
            let answered = codes.filter { $0 == nil }.count
            // 24 requests over three daemons against rpm = 12: exactly 12 reach the provider, fleet-wide.
            #expect(answered == 12, "codes: \(codes)")
            #expect(try self.simSaw(fleet, model: "fleet-model") == 12)
            try self.expectEveryKeyExpires(fleet)
            #expect(codes.compactMap { $0 }.allSatisfy { $0 != 0 }, "every refusal is a JSON-RPC error: \(codes)")
        }

        /// The fleet's minute rolls forward: a window that was full a minute ago (left as an earlier daemon would
        /// leave it, with and without its roll mark) admits again, and seconds older than a minute leave its sums.
        @Test func theFleetsMinuteRollsForward() throws {
            let fleet = try self.fleet(
                1, extra: Self.model + "[providers.local.limits]\nrpm = 5\nmax_queue_wait = \"0s\"\n"
            )
            let key = "test:v1:rate:local:minute"
            let now = Int(try fleet.redis.raw(["TIME"]).split(separator: "\n").first ?? "") ?? 0
            let params: JSONValue = ["prompt": "hi", "model": "local:fleet-model", "timeout_ms": 2000]
            let client = try fleet.daemons[0].client()
            for marked in [false, true] {
                try fleet.redis.cli(["DEL", key])
                try fleet.redis.cli(
                    ["HSET", key, "R", "5", "T", "50", "r\(now - 65)", "5", "t\(now - 65)", "50"]
                        + (marked ? ["c", "\(now - 70)"] : [])
                )
                #expect(try client.call("generate", params: params)["text"] != nil, "a minute-old window, c: \(marked)")
                #expect(try fleet.redis.raw(["HGET", key, "R"]) == "1")
                #expect(try fleet.redis.raw(["HEXISTS", key, "r\(now - 65)"]) == "0")
            }
            #expect(try self.simSaw(fleet, model: "fleet-model") == 2)
        }

        @Test func aBudgetHoldsForTheWholeFleetUnderConcurrency() throws {
            let fleet = try self.fleet(2, extra: Self.model + "[budgets.all]\ndaily_requests = 10\n")
            let codes = try self.burst(fleet, perDaemon: 9, params: ["prompt": "hi", "model": "local:fleet-model"])
            #expect(codes.filter { $0 == nil }.count == 10, "codes: \(codes)")
            #expect(codes.compactMap { $0 }.allSatisfy { $0 == -32003 }, "codes: \(codes)")
            #expect(try self.simSaw(fleet, model: "fleet-model") == 10)
            // Every reservation was freed by its settlement: only the running sums are left, at zero.
            try poll(until: "every settlement reached Redis") {
                try fleet.redis.raw(["HKEYS", "test:v1:budget:all:held"]).split(separator: "\n").allSatisfy {
                    $0.hasPrefix("_")
                }
            }
            #expect(try fleet.redis.raw(["HGET", "test:v1:budget:all:held", "_tokens"]) == "0")
            #expect(try fleet.redis.raw(["ZCARD", "test:v1:budget:all:expiry"]) == "0")
            let day = try fleet.redis.raw(["KEYS", "test:v1:budget:all:day:*"])
            #expect(try fleet.redis.raw(["HGET", day, "requests"]) == "10")
            for daemon in fleet.daemons {
                let shared = try daemon.client().call("daemon.status")["shared"]
                #expect(shared?["failures"] == 0, "\(shared ?? .null)")
            }
            try self.expectEveryKeyExpires(fleet)
        }

        /// A failover grows the request's reservation (the failed attempt was billed): it must fit the fleet's
        /// budget, not only this daemon's book, which knows nothing of the other daemon's spend.
        @Test func aFailoverMustFitTheFleetsBudget() throws {
            func priced(_ model: String, usd: Int) -> String {
                "[[providers.local.models]]\nid = \"\(model)\"\ninput_usd_per_mtok = \(usd)\noutput_usd_per_mtok = \(usd)\n"
            }
            // Worst cases ("hi" is 5 prompt tokens, max_tokens 20): flaky $0.025, backup $0.0275. The budget holds
            // $0.06: one daemon alone could bill a cut flaky attempt (its bill estimated at $0.017) and fail over.
            let fleet = try self.fleet(
                2,
                extra: priced("flaky", usd: 1000) + priced("backup", usd: 1100)
                    + "[routes.r]\ntargets = [\"local:flaky\", \"local:backup\"]\n[budgets.all]\ndaily_usd = 0.06\n"
            )
            // The other daemon spends 20 tokens on backup: $0.022.
            try fleet.sim.setUsage(model: "backup", usage: ["prompt": 5, "completion": 15])
            let other = try fleet.daemons[1].client()
            _ = try other.call("generate", params: ["prompt": "hi", "model": "local:backup", "max_tokens": 20])
            try poll(until: "the other daemon's spend reached the fleet") {
                let day = try fleet.redis.raw(["KEYS", "test:v1:budget:all:day:*"])
                guard !day.isEmpty else { return false }
                return try fleet.redis.raw(["HGET", day, "usd"]) == "22000"
            }
            try fleet.sim.setFault(model: "flaky", fault: "cut-8")
            let client = try fleet.daemons[0].client()
            do {
                let answer = try client.call(
                    "generate", params: ["prompt": "hi", "route": "r", "stream": true, "max_tokens": 20]
                )
                Issue.record("the failover was sent although the fleet's budget could not hold it: \(answer)")
            } catch let reply as RPCClient.ErrorReply {
                // $0.022 + $0.017 billed + $0.0275 for the failover > $0.06; this daemon's book alone: $0.0445.
                #expect(reply.code == -32003, "\(reply)")
                #expect(reply.data?["kind"] == "usd")
                #expect(reply.data?["attempts"]?.arrayValue?.count == 1)
                #expect(reply.data?["cost_usd"]?.doubleValue == 0.017, "the cut attempt's estimated bill")
            }
            #expect(try fleet.sim.requests().filter { $0["model"] == "backup" }.count == 1, "only the other daemon's")
            // The settlement freed the hold, the grown one included.
            try poll(until: "the refused request's settlement reached Redis") {
                try fleet.redis.raw(["ZCARD", "test:v1:budget:all:expiry"]) == "0"
            }
            #expect(try fleet.redis.raw(["HGET", "test:v1:budget:all:held", "_usd"]) == "0")
            try self.expectEveryKeyExpires(fleet)
        }

        @Test func aBreakerOpenedOnOneDaemonIsHonouredByTheOthers() throws {
            let fleet = try self.fleet(
                2,
                extra: "[[providers.openai.models]]\nid = \"sim-503\"\n"
                    + "[providers.openai.breaker]\nfailure_threshold = 1\nopen_for = \"30s\"\n"
                    + "[providers.openai.retry]\nmax_retries = 0\n"
                    + "[routes.r]\ntargets = [\"openai:sim-503\", \"anthropic:claude\"]\n"
            )
            let first = try fleet.daemons[0].client()
            #expect(try first.call("generate", params: ["prompt": "hi", "route": "r"])["provider"] == "anthropic")
            let opened = ContinuousClock.now
            let second = try fleet.daemons[1].client()
            try self.waitForOpenBreaker(on: second, "the second daemon shows the breaker open")
            let adoptedAfter = ContinuousClock.now - opened
            print("SharedStateTests: the breaker was adopted by the second daemon after \(adoptedAfter)")
            // The issue asks for 100 ms; a loaded 2-core CI machine gets five times that before this fails.
            #expect(adoptedAfter < .milliseconds(500), "adopted after \(adoptedAfter)")
            let answer = try second.call("generate", params: ["prompt": "hi", "route": "r"])
            #expect(answer["provider"] == "anthropic")
            #expect(answer["attempts"]?.arrayValue?.count == 1, "the open target was skipped: \(answer)")
            // The second daemon skipped the open target: the provider saw the first daemon's attempt only.
            #expect(try self.simSaw(fleet, model: "sim-503") == 1)
        }

        /// Three daemons keep sending to a route whose first target is down: the first daemon to open the breaker
        /// probes it when its interval ends (1 s, then 2 s), the others hold theirs open one interval longer and
        /// adopt each re-open — so the down provider sees one probe per interval from the fleet, not three.
        @Test func aDownProviderSeesOneProbePerIntervalFromTheFleet() throws {
            let fleet = try self.fleet(
                3,
                extra: "[[providers.openai.models]]\nid = \"sim-503\"\n"
                    + "[providers.openai.breaker]\nfailure_threshold = 1\nopen_for = \"1s\"\n"
                    + "[providers.openai.retry]\nmax_retries = 0\n"
                    + "[routes.r]\ntargets = [\"openai:sim-503\", \"anthropic:claude\"]\n"
            )
            let clients = try fleet.daemons.map { try $0.client() }
            #expect(try clients[0].call("generate", params: ["prompt": "hi", "route": "r"])["provider"] == "anthropic")
            for client in clients.dropFirst() {
                try self.waitForOpenBreaker(on: client, "every daemon adopts the open breaker")
            }
            // 3.5 s of traffic on every daemon: probes at about 1 s and 3 s (the interval doubles after a failed
            // probe), both from the first daemon; without coordination every daemon would probe at each.
            let end = ContinuousClock.now + .milliseconds(3500)
            while ContinuousClock.now < end {
                for client in clients {
                    #expect(try client.call("generate", params: ["prompt": "hi", "route": "r"])["provider"] == "anthropic")
                }
            }
            let seen = try self.simSaw(fleet, model: "sim-503")
            #expect(seen == 3, "the first failure and one probe per interval; saw \(seen)")
        }

        /// The health monitor probes an open target every 5 s: in a fleet of three, one daemon per interval does.
        @Test func theHealthMonitorsProbeAnOpenTargetOncePerIntervalForTheFleet() throws {
            let fleet = try self.fleet(
                3,
                extra: "[[providers.openai.models]]\nid = \"sim-503\"\n"
                    + "[providers.openai.breaker]\nfailure_threshold = 1\nopen_for = \"60s\"\n"
                    + "[providers.openai.retry]\nmax_retries = 0\n"
                    + "[routes.r]\ntargets = [\"openai:sim-503\", \"anthropic:claude\"]\n"
            )
            let clients = try fleet.daemons.map { try $0.client() }
            #expect(try clients[0].call("generate", params: ["prompt": "hi", "route": "r"])["provider"] == "anthropic")
            for client in clients.dropFirst() {
                try self.waitForOpenBreaker(on: client, "every daemon adopts the open breaker")
            }
            try poll(until: "the first health probe of the open target", timeout: .seconds(15)) {
                try self.simSaw(fleet, model: "sim-503") >= 2
            }
            // Every daemon's monitor comes due within about half a second of the others (each checks twice a
            // second); a probe that should not happen can only be shown absent over a window, so this one waits.
            Thread.sleep(forTimeInterval: 1.5)
            #expect(try self.simSaw(fleet, model: "sim-503") == 2, "the first failure and one probe for the fleet")
        }

        @Test func anAnswerCachedOnOneDaemonIsAHitOnAnother() throws {
            let fleet = try self.fleet(2, extra: Self.model, sharedExtra: "cache = true\n")
            let params: JSONValue = [
                "prompt": "the fleet's cache", "model": "local:fleet-model", "temperature": 0, "stream": false,
            ]
            let first = try fleet.daemons[0].client().call("generate", params: params)
            #expect(first["cached"] == false)
            // The store is sent without waiting: it is in Redis within a round trip.
            try poll(until: "the answer is stored in Redis", timeout: .seconds(5)) {
                !(try fleet.redis.raw(["KEYS", "test:v1:cache:*"]).isEmpty)
            }
            let second = try fleet.daemons[1].client()
            let answer = try second.call("generate", params: params)
            #expect(answer["cached"] == true)
            #expect(answer["text"] == first["text"])
            #expect(answer["usage"] == first["usage"])
            #expect(answer["cost_usd"] == 0)
            #expect(try self.simSaw(fleet, model: "fleet-model") == 1)
            let stats = try second.call("cache.stats")
            #expect(stats["shared_hits"]?.intValue == 1)
            // A different tenant partition (a namespace) is not the same entry.
            var other = params.objectValue ?? [:]
            other["cache"] = ["namespace": "elsewhere"]
            #expect(try second.call("generate", params: .object(other))["cached"] == false)
        }

        /// Two daemons on two "hosts" (network namespaces joined by veth pairs to the bridge where Redis and the
        /// simulator listen, with 2 ms of netem delay each way where the kernel has netem): the shared path crosses
        /// a real network stack, and the fleet still holds one limit and one breaker view.
        @Test(.enabled(if: TestNetwork.available, "needs root (CAP_NET_ADMIN) for network namespaces and netem"))
        func aFleetOnSeparateHostsSharesOneLimitAndOneBreaker() throws {
            let network = try TestNetwork(hosts: 2)
            let redis = try RedisProcess(extraAddresses: [network.bridgeAddress])
            let sim = try SimProcess(host: network.bridgeAddress)
            let shared = "[shared]\nredis = \"redis://\(network.bridgeAddress):\(redis.port)/0\"\nprefix = \"net:\"\n"
                + "timeout = \"50ms\"\n"
            let extra = Self.model + "[providers.local.limits]\nrpm = 8\nmax_queue_wait = \"0s\"\n"
                + "[[providers.openai.models]]\nid = \"sim-503\"\n"
                + "[providers.openai.breaker]\nfailure_threshold = 1\nopen_for = \"30s\"\n"
                + "[providers.openai.retry]\nmax_retries = 0\n"
                + "[routes.r]\ntargets = [\"openai:sim-503\", \"anthropic:claude\"]\n"
            let daemons = try (0..<2).map { try sim.daemon(extra: shared + extra, launcher: network.launcher($0)) }
            for (index, daemon) in daemons.enumerated() {
                let identified = try runCommand("/usr/sbin/ip", ["netns", "identify", "\(daemon.pid)"])
                #expect(identified.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == network.namespaces[index])
                let client = try daemon.client()
                try poll(until: "the daemon in its namespace reaches Redis across the bridge") {
                    try client.call("daemon.status")["shared"]?["state"] == "connected"
                }
            }
            let fleet = Fleet(redis: redis, sim: sim, daemons: daemons)
            let codes = try self.burst(
                fleet, perDaemon: 6, params: ["prompt": "hi", "model": "local:fleet-model", "timeout_ms": 2000]
            )
            #expect(codes.filter { $0 == nil }.count == 8, "codes: \(codes)")
            #expect(try self.simSaw(fleet, model: "fleet-model") == 8)

            let first = try daemons[0].client()
            #expect(try first.call("generate", params: ["prompt": "hi", "route": "r"])["provider"] == "anthropic")
            let opened = ContinuousClock.now
            let second = try daemons[1].client()
            try self.waitForOpenBreaker(on: second, "the other host adopts the open breaker")
            let adoptedAfter = ContinuousClock.now - opened
            #expect(adoptedAfter < .milliseconds(500), "adopted after \(adoptedAfter)")
            #expect(try second.call("generate", params: ["prompt": "hi", "route": "r"])["attempts"]?.arrayValue?.count == 1)
            #expect(try self.simSaw(fleet, model: "sim-503") == 1)
        }

        @Test func killingRedisUnderLoadFailsNothingAndSpendIsMergedAfterwards() throws {
            let priced = "[[providers.local.models]]\nid = \"fleet-model\"\ninput_usd_per_mtok = 1000\n"
                + "output_usd_per_mtok = 1000\n[budgets.all]\ndaily_usd = 1000\n"
            let fleet = try self.fleet(2, extra: priced, timeout: "50ms")
            let params: JSONValue = ["prompt": "hi", "model": "local:fleet-model"]
            #expect(try self.burst(fleet, perDaemon: 4, params: params).allSatisfy { $0 == nil })
            // The first burst's settlements are sent without waiting: all in Redis before it dies.
            try poll(until: "the first burst is settled in Redis") {
                let day = try fleet.redis.raw(["KEYS", "test:v1:budget:all:day:*"])
                let held = try fleet.redis.raw(["HKEYS", "test:v1:budget:all:held"]).split(separator: "\n")
                return !day.isEmpty && held.allSatisfy { $0.hasPrefix("_") }
            }
            fleet.redis.kill()
            // With Redis gone, every request is still answered, and none waits much beyond `timeout`.
            for daemon in fleet.daemons {
                let client = try daemon.client()
                for _ in 0..<5 {
                    let started = ContinuousClock.now
                    _ = try client.call("generate", params: params)
                    #expect(ContinuousClock.now - started < .seconds(1))
                }
                try poll(until: "the daemon reports its shared state degraded") {
                    try client.call("daemon.status")["shared"]?["state"] == "degraded_local"
                }
            }
            // The operator sees it at a glance: junctionctl status, providers.health and the metrics.
            let ctl = try runCommand(
                binaryDirectory() + "/junctionctl", ["--socket", fleet.daemons[0].socket, "status"],
                environment: ["PATH": "/usr/bin:/bin"]
            )
            #expect(ctl.stdout.contains("shared        DEGRADED (limits, budgets and breakers hold per daemon)"), "\(ctl.stdout)")
            let health = try fleet.daemons[0].client().call("providers.health")
            #expect(health["shared"]?["state"] == "degraded_local")
            let text = try fleet.daemons[0].client().call("metrics")["text"]?.stringValue ?? ""
            #expect(Exposition(text).sum("junction_shared_state", ["state": "degraded_local"]) == 1)
            #expect(Exposition(text).sum("junction_shared_state", ["state": "connected"]) == 0)
            try fleet.redis.restart()
            var ledgerTotal = 0
            for daemon in fleet.daemons {
                let client = try daemon.client()
                try poll(until: "the daemon reconnects to Redis", timeout: .seconds(20)) {
                    try client.call("daemon.status")["shared"]?["state"] == "connected"
                }
                let ctl = try runCommand(
                    binaryDirectory() + "/junctionctl", ["--socket", daemon.socket, "status"],
                    environment: ["PATH": "/usr/bin:/bin"]
                )
                #expect(ctl.stdout.contains("shared        connected to redis://127.0.0.1:\(fleet.redis.port)/0"))
                var totals: JSONValue = .null
                try poll(until: "9 requests in the ledger: \(totals)") {
                    totals = try client.call("usage.get", params: ["since": "1h"])["totals"] ?? .null
                    return totals["requests"]?.intValue == 9
                }
                ledgerTotal += Int(((totals["cost_usd"]?.doubleValue ?? 0) * 1_000_000).rounded())
            }
            // The restarted Redis lost everything before the kill; the outage's spend (5 requests per daemon) is
            // merged from the daemons' backlogs. The ledger holds all 9 per daemon: the 4 before the kill are the
            // difference.
            let keys = try fleet.redis.raw(["KEYS", "test:v1:budget:all:day:*"]).split(separator: "\n")
            #expect(keys.count == 1)
            var fleetSpend = 0
            try poll(until: "the outage's spend reaches Redis") {
                fleetSpend = Int(try fleet.redis.raw(["HGET", String(keys.first ?? ""), "usd"])) ?? 0
                return fleetSpend > 0
            }
            let perRequest = ledgerTotal / 18
            #expect(fleetSpend == perRequest * 10, "fleet \(fleetSpend), ledgers \(ledgerTotal)")
        }

        /// A Redis with `requirepass`, reached over its unix socket, the password from the environment: shared, and
        /// the password appears in no log, status or error.
        @Test func aPasswordProtectedRedisOverAUnixSocket() throws {
            let password = "redis-SECRET-7777"
            let redis = try RedisProcess(password: password)
            let sim = try SimProcess()
            let config = sim.providersConfig(
                extra: Self.model + "[budgets.all]\ndaily_requests = 3\n[shared]\nredis = \"unix://\(redis.socketPath)\"\n"
                    + "password_env = \"TEST_REDIS_PASSWORD\"\n"
            )
            var environment = SimProcess.keys
            environment["TEST_REDIS_PASSWORD"] = password
            let daemon = try DaemonProcess(config: config, environment: environment)
            let client = try daemon.client()
            try poll(until: "the daemon authenticates over the unix socket") {
                try client.call("daemon.status")["shared"]?["state"] == "connected"
            }
            for _ in 0..<3 { _ = try client.call("generate", params: ["prompt": "hi", "model": "local:fleet-model"]) }
            let keys = try redis.raw(["KEYS", "junction:v1:budget:all:day:*"]).split(separator: "\n")
            #expect(keys.count == 1)
            #expect(try redis.raw(["HGET", String(keys.first ?? ""), "requests"]) == "3")
            let status = try client.call("daemon.status")
            #expect(!status.compactText.contains(password))
            #expect(!daemon.log.contains(password))

            // The wrong password: refused by Redis, reported, and the daemon runs on its own state.
            var wrong = environment
            wrong["TEST_REDIS_PASSWORD"] = "not-the-password"
            let refused = try DaemonProcess(config: config, environment: wrong)
            let refusedClient = try refused.client()
            _ = try refusedClient.call("generate", params: ["prompt": "hi", "model": "local:fleet-model"])
            try poll(until: "the daemon reports the refused AUTH") {
                let shared = try refusedClient.call("daemon.status")["shared"]
                return shared?["state"] == "degraded_local" && shared?["last_error"]?.stringValue?.contains("auth") == true
            }
            #expect(!refused.log.contains("not-the-password"))
        }

        /// Redis out of memory (`maxmemory` reached, `noeviction`): its refusals count against the Redis breaker and
        /// every request is still answered from the daemon's own state.
        @Test func aRedisOutOfMemoryFailsNoRequest() throws {
            let fleet = try self.fleet(1, extra: Self.model + "[budgets.all]\ndaily_requests = 1000\n", timeout: "50ms")
            let client = try fleet.daemons[0].client()
            _ = try client.call("generate", params: ["prompt": "hi", "model": "local:fleet-model"])
            try fleet.redis.cli(["CONFIG", "SET", "maxmemory-policy", "noeviction"])
            try fleet.redis.cli(["CONFIG", "SET", "maxmemory", "1"])
            for _ in 0..<5 {
                #expect(try client.call("generate", params: ["prompt": "hi", "model": "local:fleet-model"])["text"] != nil)
            }
            var shared: JSONValue?
            try poll(until: "the daemon reports Redis out of memory: \(shared ?? .null)", timeout: .seconds(10)) {
                shared = try client.call("daemon.status")["shared"]
                return shared?["state"] == "degraded_local" && shared?["last_error"]?.stringValue?.hasPrefix("OOM") == true
            }
            // Memory again: connected once no refusal is recent (5 s), found by the daemon's own write probe.
            try fleet.redis.cli(["CONFIG", "SET", "maxmemory", "0"])
            try poll(until: "the daemon reconnects once Redis has memory again", timeout: .seconds(20)) {
                try client.call("daemon.status")["shared"]?["state"] == "connected"
            }
        }

        /// Redis fails over under Sentinel: the primary is killed, the sentinel promotes the replica, and the daemon
        /// (configured with `redis+sentinel://`) keeps answering meanwhile and then shares its state on the new
        /// primary.
        @Test func aSentinelFailoverIsFollowed() throws {
            let primary = try RedisProcess()
            let replica = try RedisProcess(replicaOf: primary.port)
            try poll(until: "the replica is in sync", timeout: .seconds(10)) {
                try replica.raw(["INFO", "replication"]).contains("master_link_status:up")
            }
            let sentinel = try SentinelProcess(primaryPort: primary.port)
            let sim = try SimProcess()
            let daemon = try sim.daemon(
                extra: Self.model + "[budgets.all]\ndaily_requests = 1000\n[shared]\n"
                    + "redis = \"redis+sentinel://127.0.0.1:\(sentinel.port)/mymaster\"\ntimeout = \"50ms\"\n"
            )
            let client = try daemon.client()
            try poll(until: "the daemon finds the primary through the sentinel") {
                try client.call("daemon.status")["shared"]?["state"] == "connected"
            }
            let params: JSONValue = ["prompt": "hi", "model": "local:fleet-model"]
            for _ in 0..<3 { _ = try client.call("generate", params: params) }
            let day = try primary.raw(["KEYS", "junction:v1:budget:all:day:*"])
            #expect(try primary.raw(["HGET", day, "requests"]) == "3")

            primary.kill()
            // Requests are answered throughout the failover, none waiting much beyond `timeout` for Redis.
            try poll(until: "the sentinel promotes the replica", timeout: .seconds(20)) {
                let started = ContinuousClock.now
                #expect(try client.call("generate", params: params)["text"] != nil)
                #expect(ContinuousClock.now - started < .seconds(1))
                return try sentinel.master()?.port == replica.port
            }
            try poll(until: "the daemon shares its state on the new primary", timeout: .seconds(20)) {
                _ = try client.call("generate", params: params)
                let counted = Int(try replica.raw(["HGET", day, "requests"])) ?? 0
                let state = try client.call("daemon.status")["shared"]?["state"]
                return counted > 3 && state == "connected"
            }
        }

        /// A settlement sent while Redis stalls times out, yet Redis runs it when it wakes: the daemon sends it
        /// again, and the fleet charges it once — the same total as the daemon's ledger.
        @Test func aSettlementThatTimedOutButLandedIsChargedOnce() throws {
            let priced = "[[providers.local.models]]\nid = \"fleet-model\"\ninput_usd_per_mtok = 1000\n"
                + "output_usd_per_mtok = 1000\n"
            let fleet = try self.fleet(1, extra: priced + "[budgets.all]\ndaily_usd = 10\n", timeout: "50ms")
            try fleet.sim.setUsage(model: "fleet-model", usage: ["prompt": 5, "completion": 5])
            // The provider streams a token every 250 ms (seconds in all): time to stall Redis between the reservation and
            // the settlement (a first poll of Redis can take most of a second on a busy machine).
            try fleet.sim.setFault(model: "fleet-model", fault: "pace-250")
            let client = try fleet.daemons[0].client()
            let answered = NIOLockedValueBox<JSONValue?>(nil)
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                defer { done.signal() }
                let result = try? fleet.daemons[0].client(timeout: 30).call(
                    "generate", params: ["prompt": "hi", "model": "local:fleet-model", "stream": true]
                )
                answered.withLockedValue { $0 = result }
            }
            try poll(until: "the reservation is held on Redis") {
                try fleet.redis.raw(["ZCARD", "test:v1:budget:all:expiry"]) == "1"
            }
            fleet.redis.pause()
            defer { fleet.redis.resume() }
            done.wait()
            #expect(answered.withLockedValue { $0 }?["cost_usd"]?.doubleValue == 0.01, "10 tokens at $1,000 per 1M")
            try poll(until: "the settlement timed out and waits to be sent again", timeout: .seconds(10)) {
                let shared = try client.call("daemon.status")["shared"]
                let failed = (shared?["timeouts"]?.intValue ?? 0) + (shared?["failures"]?.intValue ?? 0)
                return failed > 0 && (shared?["pending_settlements"]?.intValue ?? 0) > 0
            }
            // Redis wakes and runs what was sent to it, the timed-out settlement included; then the copy comes.
            fleet.redis.resume()
            try poll(until: "the daemon sent everything it kept", timeout: .seconds(20)) {
                let shared = try client.call("daemon.status")["shared"]
                return shared?["state"] == "connected" && shared?["pending_settlements"] == 0
            }
            let day = try fleet.redis.raw(["KEYS", "test:v1:budget:all:day:*"])
            #expect(try fleet.redis.raw(["HGET", day, "usd"]) == "10000", "charged once, as the ledger has it")
            #expect(try fleet.redis.raw(["HGET", day, "requests"]) == "1")
            #expect(try fleet.redis.raw(["HGET", "test:v1:budget:all:held", "_usd"]) == "0")
            #expect(try fleet.redis.raw(["ZCARD", "test:v1:budget:all:expiry"]) == "0")
            try self.expectEveryKeyExpires(fleet)
        }

        @Test func aStalledRedisDelaysNoRequestBeyondTheTimeout() throws {
            let fleet = try self.fleet(1, extra: Self.model + "[providers.local.limits]\nrpm = 1000\n", timeout: "50ms")
            let client = try fleet.daemons[0].client()
            _ = try client.call("generate", params: ["prompt": "hi", "model": "local:fleet-model"])
            fleet.redis.pause()
            defer { fleet.redis.resume() }
            for _ in 0..<6 {
                let started = ContinuousClock.now
                _ = try client.call("generate", params: ["prompt": "hi", "model": "local:fleet-model"])
                // 50 ms of timeout and the request's own time; never a hang.
                #expect(ContinuousClock.now - started < .milliseconds(600))
            }
            let status = try client.call("daemon.status")["shared"]
            #expect(status?["state"] == "degraded_local")
            #expect((status?["timeouts"]?.intValue ?? 0) + (status?["failures"]?.intValue ?? 0) > 0)
            fleet.redis.resume()
            try poll(until: "the daemon reconnects after Redis resumes", timeout: .seconds(20)) {
                try client.call("daemon.status")["shared"]?["state"] == "connected"
            }
        }
    }
}
