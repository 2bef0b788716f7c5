import Foundation
import JunctionClient
import JunctionCore
import Testing

extension EndToEnd {
    /// Issue 8: the daemon holds under disconnects, batches, many-key objects, stuck and fast readers, and
    /// shutdown under load.
    @Suite("Reliability")
    struct ReliabilityTests {
        private static func line(_ text: String) -> [UInt8] { Array(text.utf8) + [0x0A] }

        /// Defect 1: a client that pipelines a thousand streamed generates and hangs up cancels all of them at
        /// once; the queued ones never reach the provider. (A thousand: about 130 KB, which the socket holds
        /// without blocking the sender, so the client hangs up with most of them still unread by the daemon.)
        @Test func aDisconnectCancelsEverythingPipelined() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: "[server]\nmax_inflight_per_connection = 8\n")
            do {
                let leaving = try daemon.client()
                var burst: [UInt8] = []
                for id in 0..<1000 {
                    burst += Self.line(
                        #"{"jsonrpc":"2.0","method":"generate","id":\#(id),"params":{"prompt":"hi","#
                            + #""model":"openai:gpt-4o-mini@pace-200","stream":true}}"#
                    )
                }
                try leaving.send(raw: burst)
                // Eight run, eight wait for a run slot, the rest wait in the daemon's buffers and the socket.
                try daemon.waitForInflight(16)
                _ = try leaving.receiveLine()  // a delta: the streams are running
            }  // `leaving` closes here
            let observer = try daemon.client()
            var status: JSONValue = .null
            try poll(until: "nothing left of the closed connection: \(status.compactText)") {
                status = try observer.call("daemon.status")
                return status["connections"] == 1 && status["inflight_requests"] == 1
            }
            // Only what had started by the time of the hang-up reached the provider.
            let upstream = try sim.requests().count
            #expect(upstream <= 16, "\(upstream) upstream calls after the client left")
        }

        /// Defect 15: a request that subscribes to events after its client has gone leaves no subscription; with
        /// defect 1, the requests read after the hang-up are not started at all.
        @Test func aSubscriptionQueuedWhenTheClientLeavesIsNotKept() throws {
            let daemon = try DaemonProcess(config: "[server]\nmax_inflight_per_connection = 1\n")
            do {
                let leaving = try daemon.client()
                var pipeline: [UInt8] = []
                for id in 0..<3 {
                    pipeline += Self.line(#"{"jsonrpc":"2.0","method":"ping","params":{"delay_ms":200},"id":\#(id)}"#)
                }
                pipeline += Self.line(
                    #"{"jsonrpc":"2.0","method":"events.subscribe","params":{"topics":["breaker.state"]},"id":"s"}"#
                )
                try leaving.send(raw: pipeline)
                try daemon.waitForInflight(2)
            }
            let observer = try daemon.client()
            var status: JSONValue = .null
            try poll(until: "the closed connection and its requests to be gone: \(status.compactText)") {
                status = try observer.call("daemon.status")
                return status["connections"] == 1 && status["inflight_requests"] == 1
            }
            #expect(status["event_subscribers"] == 0)
        }

        /// Defect 4: batch elements count against `max_inflight_per_connection` and run in turn like single
        /// requests; `daemon.status` counts them; a batch beyond `max_batch_size` is refused.
        @Test func batchElementsCountAgainstTheInflightLimit() throws {
            let daemon = try DaemonProcess(config: "[server]\nmax_inflight_per_connection = 4\nmax_batch_size = 50\n")
            let client = try daemon.client()
            let elements = (0..<12).map { #"{"jsonrpc":"2.0","method":"ping","params":{"delay_ms":300},"id":\#($0)}"# }
            let started = ContinuousClock.now
            try client.send(line: Array("[\(elements.joined(separator: ","))]".utf8))
            // Four run and four wait for a run slot: the reader stops at twice the limit, as for single requests.
            try daemon.waitForInflight(8)
            let answer = try client.receive()
            #expect(answer.arrayValue?.count == 12)
            #expect(answer.arrayValue?.map { $0["id"] } == (0..<12).map { JSONValue.int($0) })
            // Three turns of four.
            #expect(ContinuousClock.now - started >= .milliseconds(900))

            let tooLarge = (0..<51).map { #"{"jsonrpc":"2.0","method":"ping","id":\#($0)}"# }
            try client.send(line: Array("[\(tooLarge.joined(separator: ","))]".utf8))
            let refusal = try client.receive()
            #expect(refusal["error"]?["code"] == -32600)
            #expect(refusal["error"]?["message"]?.stringValue?.contains("max_batch_size") == true)
            #expect(try client.call("ping")["pong"] == true)
        }

        /// A batch element is a request of its own: `cancel` with its id cancels that element only.
        @Test func cancellingOneElementOfABatchLeavesTheOthers() throws {
            let daemon = try DaemonProcess()
            let client = try daemon.client()
            try client.send(
                line: Array(
                    (#"[{"jsonrpc":"2.0","method":"ping","params":{"delay_ms":60000},"id":"slow"},"#
                        + #"{"jsonrpc":"2.0","method":"ping","params":{"delay_ms":300},"id":"quick"}]"#).utf8
                )
            )
            try daemon.waitForInflight(2)
            try client.send(line: Array(#"{"jsonrpc":"2.0","method":"cancel","params":{"id":"slow"},"id":"c"}"#.utf8))
            let acknowledgement = try client.receive()
            #expect(acknowledgement["result"]?["cancelled"] == true)
            let batch = try #require(try client.receive().arrayValue)
            #expect(batch.count == 2)
            #expect(batch.first { $0["id"] == "slow" }?["error"]?["code"] == -32005)
            #expect(batch.first { $0["id"] == "quick" }?["result"]?["pong"] == true)
        }

        /// Defect 3: an object with many keys is parsed in linear time, off the event loop, and past
        /// `max_json_keys` it is refused with -32600.
        @Test func manyKeyObjectsAreLinearAndBounded() throws {
            let daemon = try DaemonProcess(config: "[server]\nmax_json_keys = 400000\n")
            let client = try daemon.client(timeout: 60)
            func object(keys: Int) -> [UInt8] {
                var bytes = Array(#"{"jsonrpc":"2.0","method":"ping","id":"big","params":{"x":{"#.utf8)
                for key in 0..<keys {
                    if key > 0 { bytes.append(UInt8(ascii: ",")) }
                    bytes += Array(#""k\#(key)":0"#.utf8)
                }
                return bytes + Array("}}}".utf8) + [0x0A]
            }
            // 300,000 keys (about 3.5 MB): quadratic parsing took minutes for a tenth of this.
            let started = ContinuousClock.now
            try client.send(raw: object(keys: 300_000))
            // Meanwhile other connections, on every event loop, are answered at once.
            let others = try (0..<4).map { _ in try daemon.client() }
            for other in others {
                let asked = ContinuousClock.now
                #expect(try other.call("ping")["pong"] == true)
                #expect(ContinuousClock.now - asked < .seconds(1))
            }
            let answer = try client.receive()
            #expect(answer["error"]?["code"] == -32602)  // ping takes no "x": the object was parsed whole
            #expect(ContinuousClock.now - started < .seconds(30))

            try client.send(raw: object(keys: 400_001))
            let refusal = try client.receive()
            #expect(refusal["error"]?["code"] == -32600)
            #expect(refusal["error"]?["message"]?.stringValue?.contains("max_json_keys") == true)
        }

        /// Defect 6: shutdown ends within `drain_timeout` although a client holds megabytes of unread answers.
        @Test func shutdownEndsInTimeWithAClientThatDoesNotRead() throws {
            let daemon = try DaemonProcess(config: "[server]\ndrain_timeout = \"2s\"\n")
            let stuck = try daemon.client()
            // About 8 MB of rpc.discover answers, under the write limit (16 MiB), none of them read.
            var burst: [UInt8] = []
            for id in 0..<300 { burst += Self.line(#"{"jsonrpc":"2.0","method":"rpc.discover","id":\#(id)}"#) }
            try stuck.send(raw: burst)
            let observer = try daemon.client()
            try poll(until: "every request of the stuck client answered") { try DaemonProcess.inflight(observer) == 0 }
            let signalled = ContinuousClock.now
            daemon.signal(SIGTERM)
            let status = try daemon.waitForExit(timeout: .seconds(10))
            #expect(status == 0)
            // 2.02 s when the machine is idle; the slack is for two cores shared with the suites running beside
            // it (4.06 s seen once). The defect held shutdown past the 10 s wait.
            #expect(ContinuousClock.now - signalled < .seconds(6))
            #expect(daemon.log.contains("closing connections with unread output"))
            _ = stuck
        }

        /// Defect 7: a client that reads at full speed is not disconnected when answers arrive in a burst far
        /// larger than the write limit; the daemon reads its requests more slowly instead.
        @Test func aFastReaderSurvivesABurstOfAnswers() throws {
            let daemon = try DaemonProcess(config: "[server]\nmax_write_buffer_bytes = 1048576\n")
            let client = try daemon.client(timeout: 30)
            // Batches of 6 rpc.discover making about 6 MB of answers (six times the limit), ready at once; the
            // count follows the document's size, which grows with the API.
            let documentBytes = try client.call("rpc.discover").compactText.utf8.count
            let batches = max(4, 6_000_000 / (6 * documentBytes))
            let batch = "[" + (0..<6).map { #"{"jsonrpc":"2.0","method":"rpc.discover","id":\#($0)}"# }
                .joined(separator: ",") + "]"
            var burst: [UInt8] = []
            for _ in 0..<batches { burst += Self.line(batch) }
            try client.send(raw: burst)
            for _ in 0..<batches { #expect(try client.receive().arrayValue?.count == 6) }
            #expect(!daemon.log.contains("stopped reading"))
        }

        /// The stall rule: a client that reads nothing while its answers back up is disconnected after
        /// `write_stall_timeout`, and never delays anyone else.
        @Test func aClientThatReadsNothingIsDisconnectedAfterTheStallTimeout() throws {
            let daemon = try DaemonProcess(
                config: "[server]\nmax_write_buffer_bytes = 262144\nwrite_stall_timeout = \"500ms\"\n"
            )
            let stuck = try daemon.client()
            var burst: [UInt8] = []
            for id in 0..<60 { burst += Self.line(#"{"jsonrpc":"2.0","method":"rpc.discover","id":\#(id)}"#) }
            try stuck.send(raw: burst)
            let other = try daemon.client()
            #expect(try other.call("ping")["pong"] == true)
            try daemon.waitForLog("disconnected a client that stopped reading its responses")
            try poll(until: "the stuck client's connection to be gone") {
                try other.call("daemon.status")["connections"] == 1
            }
        }

        /// Defect 15: one user cannot hold every connection slot.
        @Test func connectionsPerUIDAreCapped() throws {
            let daemon = try DaemonProcess(config: "[server]\nmax_connections_per_uid = 2\n")
            let first = try daemon.client()
            try poll(until: "the start-up probe's connection to be gone") {
                try first.call("daemon.status")["connections"] == 1
            }
            let second = try daemon.client()
            #expect(try second.call("ping")["pong"] == true)
            let third = try daemon.client()
            let refusal = try third.receive()
            #expect(refusal["error"]?["code"] == -32008)
            #expect(refusal["error"]?["message"]?.stringValue?.contains("max_connections_per_uid") == true)
            _ = consume first
            try poll(until: "the first client's connection to be gone") {
                try second.call("daemon.status")["connections"] == 1
            }
            #expect(try daemon.client().call("ping")["pong"] == true)
        }

        /// SIGTERM under load: every accepted request is answered (a result, or -32008 when the drain ran out).
        @Test func sigtermUnderLoadAnswersEveryAcceptedRequest() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: "[server]\ndrain_timeout = \"3s\"\n")
            let clients = try (0..<8).map { _ in try daemon.client(timeout: 20) }
            for (index, client) in clients.enumerated() {
                var burst: [UInt8] = []
                for request in 0..<20 {
                    // Half finish within the drain, half (tokens 0.5 s apart) are cut off by it.
                    let model = request.isMultiple(of: 2) ? "gpt-4o-mini@pace-20" : "gpt-4o-mini@pace-500"
                    burst += Self.line(
                        #"{"jsonrpc":"2.0","method":"generate","id":"\#(index)-\#(request)","#
                            + #""params":{"prompt":"hi","model":"openai:\#(model)","stream":true}}"#
                    )
                }
                try client.send(raw: burst)
            }
            // Every request accepted and at the provider (the short ones may already have finished).
            var seen = 0
            try poll(until: "the simulator to see all 160 requests (seen: \(seen))") {
                seen = try sim.requests().count
                return seen >= 160
            }
            daemon.signal(SIGTERM)
            var answered = 0
            var cutOff = 0
            for client in clients {
                var ids = Set<String>()
                while ids.count < 20 {
                    let message = try client.receive()
                    guard let id = message["id"]?.stringValue else { continue }  // a delta
                    ids.insert(id)
                    if message["result"] != nil { answered += 1 }
                    if message["error"]?["code"] == -32008 { cutOff += 1 } else if message["error"] != nil {
                        Issue.record("unexpected answer: \(message.compactText)")
                    }
                }
            }
            #expect(answered == 80)
            #expect(cutOff == 80)
            #expect(try daemon.waitForExit() == 0)
        }
    
        /// Found by fuzz-config: toml++ aborts the process on `[!` (an assertion kept in release builds). Neither
        /// the start nor a reload may be taken down by it; the file is refused like any invalid one.
        @Test func aFileThatCrashesTheTOMLParserIsRefusedNotFatal() throws {
            let daemon = try DaemonProcess()
            let client = try daemon.client()
            try "[server]\nlog_level = \"info\"\n[!\n".write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
            do {
                _ = try client.call("admin.reload")
                Issue.record("the reload was accepted")
            } catch let reply as RPCClient.ErrorReply {
                #expect(reply.code == -32009)
                #expect(reply.json.compactText.contains("junction.toml:3"))
            }
            #expect(try client.call("ping")["pong"] == true)
            let check = try runCommand(binaryDirectory() + "/junctiond", ["--check-config", "--config", daemon.configPath])
            #expect(check.status == 1)
            #expect(check.stderr.contains("TOML parser cannot read this file"))
        }
    }
}
