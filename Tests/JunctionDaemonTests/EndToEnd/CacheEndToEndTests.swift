import Foundation
import JunctionClient
import JunctionCore
import NIOConcurrencyHelpers
import Testing

extension EndToEnd {
    /// The response cache, in-flight coalescing and stale-if-error through the real daemon, libcurl and
    /// junction-sim: what reaches the simulator is the proof.
    @Suite("Response cache end to end")
    struct CacheEndToEndTests {
        /// How many chat requests for `model` the simulator saw.
        private func calls(_ sim: SimProcess, model: String) throws -> Int {
            try sim.requests().filter { $0["model"]?.stringValue == model && $0["format"] != "models" }.count
        }

        private func ctl(_ arguments: [String]) throws -> CommandResult {
            try runCommand(binaryDirectory() + "/junctionctl", arguments, environment: ["PATH": "/usr/bin:/bin"])
        }

        @Test func aRepeatedRequestIsAnsweredFromMemoryWhateverItsJSONSpelling() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            let params: JSONValue = [
                "prompt": "hi", "model": "local:cache-a", "temperature": 0, "max_tokens": 50, "metadata": ["n": 1],
            ]
            let first = try client.call("generate", params: params)
            #expect(first["cached"] == false)
            // Same request, other key order, whitespace and number spelling, another metadata and client label.
            let line = #"{"jsonrpc":"2.0","id":77,"method":"generate","params":{ "max_tokens" : 5e1, "temperature": 0.0, "#
                + #""metadata":{"n":2}, "client":"other", "timeout_ms": 9000, "model":"local:cache-a", "prompt":"hi"}}"#
            try client.send(line: Array(line.utf8))
            let second = try client.receive()["result"]
            #expect(second?["cached"] == true)
            #expect(second?["text"] == first["text"])
            #expect(second?["usage"] == first["usage"])
            #expect(second?["cost_usd"]?.doubleValue == 0)
            #expect(second?["attempts"] == [])
            #expect(second?["request_id"] != first["request_id"])
            #expect(try self.calls(sim, model: "cache-a") == 1)
            // Anything that changes the answer misses.
            _ = try client.call("generate", params: ["prompt": "hi", "model": "local:cache-a", "temperature": 0])
            #expect(try self.calls(sim, model: "cache-a") == 2)
            let stats = try client.call("cache.stats")
            #expect(stats["hits"] == 1)
            #expect(stats["misses"] == 2)
            #expect(stats["entries"] == 2)
        }

        @Test func nondeterministicRequestsAreNotCachedUnlessAsked() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            for _ in 0..<2 { _ = try client.call("generate", params: ["prompt": "hi", "model": "local:cache-b"]) }
            #expect(try self.calls(sim, model: "cache-b") == 2)
            // A seed makes it deterministic; an explicit mode caches whatever the temperature.
            for _ in 0..<2 { _ = try client.call("generate", params: ["prompt": "hi", "model": "local:cache-b", "seed": 4]) }
            #expect(try self.calls(sim, model: "cache-b") == 3)
            let hot: JSONValue = ["prompt": "yo", "model": "local:cache-b", "temperature": 1, "cache": ["mode": "on"]]
            for _ in 0..<2 { _ = try client.call("generate", params: hot) }
            #expect(try self.calls(sim, model: "cache-b") == 4)
        }

        @Test func namespacesPartitionAndModesDoWhatTheySay() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            func ask(_ cache: JSONValue?) throws -> JSONValue {
                var params: JSONObject = ["prompt": "hi", "model": "local:cache-c", "temperature": 0]
                if let cache { params["cache"] = cache }
                return try client.call("generate", params: .object(params))
            }
            _ = try ask(nil)
            #expect(try ask(["namespace": "team-a"])["cached"] == false)  // another partition
            #expect(try ask(["namespace": "team-a"])["cached"] == true)
            #expect(try self.calls(sim, model: "cache-c") == 2)
            #expect(try ask(["mode": "refresh"])["cached"] == false)
            #expect(try ask(["mode": "write_only"])["cached"] == false)
            #expect(try ask(["mode": "off"])["cached"] == false)
            #expect(try self.calls(sim, model: "cache-c") == 5)
            #expect(try ask(["mode": "read_only"])["cached"] == true)
            #expect(try ask(["max_age_ms": 0])["cached"] == false)  // older than 0 ms: refetched (and stored)
            #expect(try self.calls(sim, model: "cache-c") == 6)
            // Clearing one namespace leaves the rest.
            let cleared = try client.call("admin.cache.clear", params: ["namespace": "team-a"])
            #expect(cleared["removed"] == 1)
            #expect(try ask(["namespace": "team-a", "mode": "read_only"])["cached"] == false)
            #expect(try ask(nil)["cached"] == true)
            // Bad input says what to do.
            do {
                _ = try ask(["mode": "sometimes"])
                Issue.record("an unknown mode was accepted")
            } catch let error as RPCClient.ErrorReply {
                #expect(error.code == -32602)
                #expect(error.message.contains("cache.mode"))
                #expect(error.message.contains("read_only"))
            }
        }

        @Test func errorsAndRefusalsAreNeverStored() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: "[defaults.retry]\nmax_retries = 0\n")
            let client = try daemon.client()
            let params: JSONValue = ["prompt": "hi", "model": "local:cache-d", "temperature": 0]
            try sim.setFault(model: "cache-d", fault: "503")
            #expect(throws: RPCClient.ErrorReply.self) { try client.call("generate", params: params) }
            try sim.setFault(model: "cache-d", fault: "filter")
            #expect(throws: RPCClient.ErrorReply.self) { try client.call("generate", params: params) }
            try sim.setFault(model: "cache-d", fault: nil)
            #expect(try client.call("generate", params: params)["cached"] == false)
            #expect(try self.calls(sim, model: "cache-d") == 3)
            // A stream cut after some tokens is not an answer either.
            let streamed: JSONValue = ["prompt": "hi", "model": "local:cache-e", "temperature": 0, "stream": true]
            try sim.setFault(model: "cache-e", fault: "cut-3")
            #expect(throws: RPCClient.ErrorReply.self) { try client.call("generate", params: streamed) }
            try sim.setFault(model: "cache-e", fault: nil)
            #expect(try client.call("generate", params: streamed)["cached"] == false)
            #expect(try self.calls(sim, model: "cache-e") == 2)
            #expect(try client.call("cache.stats")["entries"] == 2)  // one answer of each model
        }

        /// An answer after a restart (the caller was told to discard what a failed attempt streamed) is not stored.
        @Test func anAnswerAfterARestartIsNotStored() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(
                extra: "[defaults.retry]\nmax_retries = 0\n[routes.r]\ntargets = [\"local:cache-rs\", \"local:cache-rf\"]\n"
            )
            let client = try daemon.client()
            let params: JSONValue = ["prompt": "hi", "route": "r", "temperature": 0, "stream": true]
            try sim.setFault(model: "cache-rs", fault: "cut-3")
            var restarts = 0
            let first = try client.call("generate", params: params) { method, _ in
                if method == "generate.restart" { restarts += 1 }
            }
            #expect(restarts == 1)
            #expect(first["model"] == "cache-rf")
            #expect(try client.call("cache.stats")["stores"] == 0)
        }

        /// A fallback's answer is stored under the fallback: the primary's entry stays empty.
        @Test func aFallbackAnswerNeverFillsThePrimarysEntry() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(
                extra: "[defaults.retry]\nmax_retries = 0\n[routes.r]\ntargets = [\"local:cache-p\", \"local:cache-f\"]\n"
            )
            let client = try daemon.client()
            let params: JSONValue = ["prompt": "hi", "route": "r", "temperature": 0]
            try sim.setFault(model: "cache-p", fault: "503@1")
            let first = try client.call("generate", params: params)
            #expect(first["model"] == "cache-f")
            // The primary answers again: its entry is empty, so it is asked (and then stored).
            let second = try client.call("generate", params: params)
            #expect(second["cached"] == false)
            #expect(second["model"] == "cache-p")
            #expect(try client.call("generate", params: params)["cached"] == true)
            #expect(try self.calls(sim, model: "cache-p") == 2)
            #expect(try self.calls(sim, model: "cache-f") == 1)
        }

        @Test func aStreamedHitReplaysTheSameDeltasAndUsage() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            let params: JSONValue = ["prompt": "hi", "model": "local:cache-s", "temperature": 0, "stream": true]
            func run() throws -> (JSONValue, [JSONValue]) {
                var deltas: [JSONValue] = []
                let result = try client.call("generate", params: params) { method, params in
                    if method == "generate.delta" { deltas.append(["seq": params["seq"]!, "text": params["text"]!]) }
                }
                return (result, deltas)
            }
            let (first, firstDeltas) = try run()
            let (second, secondDeltas) = try run()
            #expect(firstDeltas.count > 3)
            #expect(secondDeltas == firstDeltas)
            #expect(second["cached"] == true)
            #expect(second["usage"] == first["usage"])
            #expect(second["finish_reason"] == first["finish_reason"])
            #expect(second["text"] == first["text"])
            #expect(try self.calls(sim, model: "cache-s") == 1)
            // An unstreamed request with the same key is served from the streamed entry too.
            var unstreamed = params.objectValue!
            unstreamed["stream"] = false
            #expect(try client.call("generate", params: .object(unstreamed))["cached"] == true)
        }

        /// 50 identical requests at once: the simulator is asked once, and every caller gets the whole answer.
        @Test(arguments: [false, true]) func fiftyIdenticalRequestsInFlightReachTheProviderOnce(stream: Bool) throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            // The answer starts after 1.5 s, streamed or not: the requests overlap even on a loaded machine.
            try sim.setFault(model: "cache-co", fault: "slowfirst-1500")
            let results = NIOLockedValueBox<[(JSONValue, String)]>([])
            let socket = daemon.socket
            let group = DispatchGroup()
            for _ in 0..<50 {
                group.enter()
                Thread {
                    defer { group.leave() }
                    do {
                        let client = try RPCClient(path: socket, timeout: 20)
                        var streamed = ""
                        let result = try client.call(
                            "generate",
                            params: ["prompt": "hi", "model": "local:cache-co", "temperature": 0, "stream": .bool(stream)]
                        ) { method, params in
                            if method == "generate.delta" { streamed += params["text"]?.stringValue ?? "" }
                        }
                        results.withLockedValue { $0.append((result, streamed)) }
                    } catch {
                        results.withLockedValue { $0.append((["error": .string("\(error)")], "")) }
                    }
                }.start()
            }
            group.wait()
            let answers = results.withLockedValue { $0 }
            #expect(answers.count == 50)
            #expect(try self.calls(sim, model: "cache-co") == 1)
            let text = answers.first?.0["text"]
            #expect(text?.stringValue?.isEmpty == false)
            #expect(answers.allSatisfy { $0.0["text"] == text })
            if stream { #expect(answers.allSatisfy { $0.1 == text?.stringValue }) }
            // One paid, the others joined (or, arriving after the end, hit the stored answer).
            #expect(answers.filter { $0.0["cached"] == false }.count == 1)
            #expect(answers.filter { $0.0["cached"] == "coalesced" }.count >= 1)
            let stats = try daemon.client().call("cache.stats")
            #expect(
                (stats["coalesced_joins"]?.intValue ?? 0) + (stats["hits"]?.intValue ?? 0) == 49
            )
        }

        /// The caller who started the call leaves: the others still get the whole answer from that one call.
        @Test func theLeaderLeavingDoesNotCancelTheCallOthersWaitFor() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            try sim.setFault(model: "cache-l", fault: "pace-80")
            let params: JSONValue = ["prompt": "hi", "model": "local:cache-l", "temperature": 0, "stream": true]
            let leader = try daemon.client()
            let request: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": "generate", "params": params]
            try leader.send(line: Array(request.compactText.utf8))
            // Wait for the leader's first delta: the call is in flight.
            var first = try leader.receive()
            while first["method"] != "generate.delta" { first = try leader.receive() }
            let socket = daemon.socket
            let joined = NIOLockedValueBox<JSONValue?>(nil)
            let thread = Thread {
                let result = try? RPCClient(path: socket, timeout: 20).call("generate", params: params)
                joined.withLockedValue { $0 = result }
            }
            thread.start()
            try poll(until: "the joiner waits on the flight") { try daemon.client().call("cache.stats")["in_flight"] == 1 && Self.inflight(daemon) >= 2 }
            let cancel: JSONValue = ["jsonrpc": "2.0", "id": 2, "method": "cancel", "params": ["id": 1]]
            try leader.send(line: Array(cancel.compactText.utf8))  // the leader cancels its own request
            try poll(until: "the joiner is answered", timeout: .seconds(15)) { joined.withLockedValue { $0 } != nil }
            let answer = joined.withLockedValue { $0 }
            #expect(answer?["cached"] == "coalesced")
            // The leader was told it was cancelled.
            var reply = try leader.receive()
            while reply["id"] != 1 { reply = try leader.receive() }
            #expect(reply["error"]?["code"] == -32005)
            #expect(answer?["finish_reason"] == "stop")
            #expect(try self.calls(sim, model: "cache-l") == 1)
        }

        /// A joiner with a shorter timeout than the leader's times out at its own deadline (-32007) and leaves; the
        /// call goes on and answers the leader.
        @Test func aJoinerTimesOutAtItsOwnDeadline() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            try sim.setFault(model: "cache-t", fault: "pace-250")
            let params: JSONObject = ["prompt": "hi", "model": "local:cache-t", "temperature": 0, "stream": true]
            let leader = try daemon.client()
            let request: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": "generate", "params": .object(params)]
            try leader.send(line: Array(request.compactText.utf8))
            var first = try leader.receive()
            while first["method"] != "generate.delta" { first = try leader.receive() }
            var short = params
            short["timeout_ms"] = 300
            let started = ContinuousClock.now
            let joiner = try daemon.client()
            let line: JSONValue = ["jsonrpc": "2.0", "id": 2, "method": "generate", "params": .object(short)]
            try joiner.send(line: Array(line.compactText.utf8))
            var reply = try joiner.receive()
            while reply["id"] != 2 { reply = try joiner.receive() }
            let waited = ContinuousClock.now - started
            #expect(reply["error"]?["code"] == -32007)
            #expect(waited < .milliseconds(1500))  // the leader's answer takes seconds (its tokens 250 ms apart)
            var answer = try leader.receive()
            while answer["id"] != 1 { answer = try leader.receive() }
            #expect(answer["result"]?["finish_reason"] == "stop")
            #expect(try self.calls(sim, model: "cache-t") == 1)
        }

        private static func inflight(_ daemon: DaemonProcess) throws -> Int {
            try DaemonProcess.inflight(try daemon.client())
        }

        @Test func everyTargetDownAnswersFromAnExpiredEntryWithTheAttemptsListed() throws {
            let sim = try SimProcess()
            let route = "[defaults.retry]\nmax_retries = 0\n[routes.r]\ntargets = [\"local:cache-x\", \"local:cache-y\"]\n"
            let daemon = try sim.daemon(extra: route)
            let client = try daemon.client()
            // Stored fresh for 1 ms only: the next request finds it expired.
            let params: JSONValue = ["prompt": "hi", "route": "r", "temperature": 0, "cache": ["ttl_ms": 1]]
            let fresh = try client.call("generate", params: params)
            try poll(until: "the entry expires") {
                try client.call("generate", params: ["prompt": "hi", "route": "r", "temperature": 0, "cache": ["mode": "read_only"]])["cached"] == false
            }
            try sim.setFault(model: "cache-x", fault: "503")
            try sim.setFault(model: "cache-y", fault: "503")
            let stale = try client.call("generate", params: params)
            #expect(stale["cached"] == "stale")
            #expect(stale["text"] == fresh["text"])
            #expect(stale["attempts"]?.arrayValue?.count == 2)
            #expect(stale["attempts"]?.arrayValue?.allSatisfy { $0["status"] == 503 } == true)
            #expect(try client.call("cache.stats")["stale_serves"] == 1)
            // mode off: the error, not the stale answer.
            do {
                _ = try client.call("generate", params: ["prompt": "hi", "route": "r", "temperature": 0, "cache": ["mode": "off"]])
                Issue.record("mode off answered")
            } catch let error as RPCClient.ErrorReply {
                #expect(error.code == -32001)
            }
        }

        @Test func staleIfErrorZeroDisablesIt() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: "[defaults.retry]\nmax_retries = 0\n[cache]\nstale_if_error = \"0s\"\n")
            let client = try daemon.client()
            let params: JSONValue = ["prompt": "hi", "model": "local:cache-z", "temperature": 0, "cache": ["ttl_ms": 1]]
            _ = try client.call("generate", params: params)
            try sim.setFault(model: "cache-z", fault: "503")
            try poll(until: "the request fails") {
                do {
                    _ = try client.call("generate", params: params)
                    return false
                } catch let error as RPCClient.ErrorReply {
                    return error.code == -32006 || error.code == -32001
                }
            }
            #expect(try client.call("cache.stats")["stale_serves"] == 0)
        }

        @Test func theLedgerRecordsTheHitAndTheMoneySaved() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(
                extra: """
                    [[providers.local.models]]
                    id = "cache-priced"
                    input_usd_per_mtok = 100
                    output_usd_per_mtok = 100

                    """
            )
            try sim.setUsage(model: "cache-priced", usage: ["prompt": 10, "completion": 10])
            let client = try daemon.client()
            let params: JSONValue = ["prompt": "hi", "model": "local:cache-priced", "temperature": 0]
            let paid = try client.call("generate", params: params)
            #expect(paid["cost_usd"]?.doubleValue == 0.002)
            let hit = try client.call("generate", params: params)
            #expect(hit["saved_usd"]?.doubleValue == 0.002)
            #expect(hit["cost_usd"]?.doubleValue == 0)
            try poll(until: "both rows are written") {
                (try client.call("usage.export", params: ["since": "1h"])["rows"]?.arrayValue?.count ?? 0) == 2
            }
            let rows = try client.call("usage.export", params: ["since": "1h"])["rows"]?.arrayValue ?? []
            #expect(rows.map { $0["cache"] } == [.null, "hit"])
            #expect(rows.map { $0["saved_usd"]?.doubleValue } == [nil, 0.002])
            #expect(rows.map { $0["cost_usd"]?.doubleValue } == [0.002, 0])
            #expect(try client.call("cache.stats")["saved_usd"]?.doubleValue == 0.002)
            let printed = try self.ctl(["--socket", daemon.socket, "cache", "stats"])
            #expect(printed.status == 0)
            #expect(printed.stdout.contains("saved"))
            #expect(printed.stdout.contains("$0.002"))
            // Counts print as counts (not as micro-dollars).
            #expect(printed.stdout.split(separator: "\n").contains { $0.hasPrefix("hits") && $0.hasSuffix(" 1") })
            let cleared = try self.ctl(["--socket", daemon.socket, "cache", "clear", "--model", "local:cache-priced"])
            #expect(cleared.stdout.contains("removed 1 cached answer"))
        }
    }
}
