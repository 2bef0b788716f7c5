import Foundation
import JunctionClient
import JunctionCore
import JunctionRPC
import Testing

extension EndToEnd {
    /// Issue 8, defect 10 (reliability): a daemon out of file descriptors refuses new work cleanly, blames no
    /// provider for it, and keeps few idle connections to providers.
    @Suite("Reliability: file descriptors")
    struct FileDescriptorExhaustionTests {
        /// The daemon's soft descriptor limit is lowered to its lowest free descriptor number: from then on every
        /// descriptor it tries to open fails with EMFILE (the ones it holds stay open). Restored on `restore()`.
        struct Exhaustion {
            let pid: Int32
            let original: String
            let limit: Int

            init(pid: Int32) throws {
                self.pid = pid
                let open = Set(FileDescriptorExhaustionTests.descriptors(of: pid).map(\.fd))
                self.limit = (0...).first { !open.contains(Int32($0)) }!
                let limits = FileDescriptorExhaustionTests.read("/proc/\(pid)/limits")
                let line = limits.split(separator: "\n").first { $0.hasPrefix("Max open files") } ?? ""
                guard let soft = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).first else {
                    throw DaemonFailed(message: "no open-files limit in /proc/\(pid)/limits")
                }
                self.original = String(soft)
                try self.set("\(self.limit)")
            }

            func restore() throws { try self.set(self.original) }

            private func set(_ soft: String) throws {
                let result = try runCommand("/usr/bin/prlimit", ["--pid", "\(self.pid)", "--nofile=\(soft):"])
                guard result.status == 0 else { throw DaemonFailed(message: "prlimit failed: \(result.stderr)") }
            }
        }

        /// A file of /proc (which reports a size of 0: read to its end, not by its size).
        static func read(_ path: String) -> String {
            let data = FileHandle(forReadingAtPath: path).flatMap { try? $0.readToEnd() } ?? Data()
            return String(decoding: data, as: UTF8.self)
        }

        /// Every open descriptor of `pid` and what it points at (`socket:[INODE]`, a path, ...).
        static func descriptors(of pid: Int32) -> [(fd: Int32, target: String)] {
            let directory = "/proc/\(pid)/fd"
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            return names.compactMap { name in
                guard let fd = Int32(name),
                    let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\(name)")
                else { return nil }
                return (fd, target)
            }
        }

        /// The daemon's Unix sockets on `path`: its listener and the connections it accepted there.
        static func unixSockets(of pid: Int32, boundTo path: String) -> Int {
            let inodes = self.socketInodes(of: pid)
            return self.read("/proc/net/unix").split(separator: "\n").dropFirst().filter { line in
                // Num RefCount Protocol Flags Type St Inode Path
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                return fields.count > 7 && fields[7] == path && inodes.contains(String(fields[6]))
            }.count
        }

        /// The inodes of the sockets `pid` holds.
        static func socketInodes(of pid: Int32) -> Set<String> {
            Set(
                self.descriptors(of: pid).compactMap { entry -> String? in
                    guard entry.target.hasPrefix("socket:[") else { return nil }
                    return String(entry.target.dropFirst(8).dropLast())
                }
            )
        }

        /// The daemon's established TCP connections to `port` (its sockets matched against /proc/net/tcp).
        static func connections(of pid: Int32, toPort port: Int) -> Int {
            let inodes = self.socketInodes(of: pid)
            let hexPort = String(format: ":%04X", port)
            var count = 0
            for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
                let text = self.read(table)
                for line in text.split(separator: "\n").dropFirst() {
                    let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
                    guard fields.count > 9, fields[2].hasSuffix(hexPort), fields[3] == "01" else { continue }
                    if inodes.contains(String(fields[9])) { count += 1 }
                }
            }
            return count
        }

        @Test func outOfDescriptorsEveryoneIsAnsweredAndNoProviderIsBlamed() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            _ = try client.call("ping")  // accepted: its descriptor is open
            // The connections of the start-up check are closed (their descriptors free) before the limit is set:
            // a descriptor freed afterwards below the limit would let one connection through. The daemon's side
            // of each connection is a socket on its path, as /proc/net/unix shows: the listener and this client.
            var sockets = 0
            try poll(until: "only the listener and this test's connection on the socket (\(sockets))") {
                sockets = Self.unixSockets(of: daemon.pid, boundTo: daemon.socket)
                return sockets == 2
            }
            let exhaustion = try Exhaustion(pid: daemon.pid)
            var restored = false
            defer { if !restored { try? exhaustion.restore() } }

            // A request that needs a socket to the provider: -32008 at once, not "connect_refused" nor a
            // failover through every provider.
            var started = ContinuousClock.now
            do {
                _ = try client.call("generate", params: ["prompt": "hi", "model": "openai:gpt-4o-mini"])
                Issue.record("answered without a socket to the provider")
            } catch let reply as RPCClient.ErrorReply {
                #expect(reply.code == -32008, "\(reply)")
                #expect(reply.message.contains("out of file descriptors"), "\(reply)")
                #expect(reply.data?["attempts"]?.arrayValue?.count == 1, "\(reply.json.compactText)")
                let attempt = reply.data?["attempts"]?.arrayValue?.first
                #expect(attempt?["outcome"] == "out_of_file_descriptors", "\(reply.json.compactText)")
            }
            let requestTime = ContinuousClock.now - started
            #expect(requestTime < .seconds(2))

            // New connections: each is told -32008 and closed, none is left waiting in the backlog.
            started = ContinuousClock.now
            var slowest = Duration.zero
            for _ in 0..<40 {
                let opened = ContinuousClock.now
                let refused = try RPCClient(path: daemon.socket, timeout: 5)
                let line = try refused.receive()
                #expect(RPCError(json: line["error"] ?? .null)?.code == -32008, "\(line.compactText)")
                #expect(line["error"]?["message"]?.stringValue?.contains("out of file descriptors") == true)
                #expect(throws: RPCClient.Failure.self) { try refused.receiveLine() }  // then closed
                slowest = max(slowest, ContinuousClock.now - opened)
            }
            let connectionsTime = ContinuousClock.now - started
            #expect(slowest < .seconds(1), "slowest refusal took \(slowest)")

            // The provider was never reached and is not blamed.
            #expect(try sim.requests().isEmpty)
            let health = try client.call("providers.health", params: ["provider": "openai"])
            let openai = health["providers"]?.arrayValue?.first
            #expect(openai?["breaker"]?["state"] == "closed", "\(health.compactText)")
            #expect(openai?["breaker"]?["consecutive_failures"] == 0, "\(health.compactText)")
            #expect(openai?["error_rate"] == 0, "\(health.compactText)")
            // One warning for the whole episode (it is logged at most once a minute).
            let warning = "out of file descriptors: new connections and requests"
            #expect(daemon.log.components(separatedBy: warning).count - 1 == 1, "\(daemon.log)")

            // Descriptors back: connections and requests are served again.
            try exhaustion.restore()
            restored = true
            let again = try daemon.client()
            let answer = try again.call("generate", params: ["prompt": "hi", "model": "openai:gpt-4o-mini"])
            #expect(answer["text"]?.stringValue?.isEmpty == false)
            print(
                "fd exhaustion: limit \(exhaustion.limit); generate answered -32008 in \(requestTime);"
                    + " 40 connections refused in \(connectionsTime) (slowest \(slowest))"
            )
        }

        @Test func idleUpstreamConnectionsAreCapped() throws {
            let sim = try SimProcess(tokenDelayMs: 50)
            let daemon = try DaemonProcess(
                config: sim.providersConfig().replacingOccurrences(
                    of: "[defaults]\n", with: "[defaults]\nmax_idle_connections = 4\n"
                ),
                environment: SimProcess.keys
            )
            let before = Self.connections(of: daemon.pid, toPort: sim.port)
            // 40 streams at once, pipelined on one connection; over HTTP/1.1 each holds a connection of its own.
            let client = try daemon.client(timeout: 30)
            for id in 1...40 {
                let request: JSONValue = [
                    "jsonrpc": "2.0", "id": .int(id), "method": "generate",
                    "params": ["prompt": "hi", "model": "openai:gpt-4o-mini", "stream": true],
                ]
                try client.send(line: request.serialized())
            }
            var during = 0
            try poll(until: "the streams hold many connections to the provider (\(during))", timeout: .seconds(10)) {
                during = max(during, Self.connections(of: daemon.pid, toPort: sim.port))
                return during >= 20
            }
            var answered = 0
            while answered < 40 {
                let line = try client.receive()
                guard line["id"] != nil else { continue }  // generate.delta notifications
                #expect(line["result"] != nil, "\(line.compactText)")
                answered += 1
            }
            var after = Int.max
            try poll(until: "at most 4 idle connections to the provider (\(after))", timeout: .seconds(5)) {
                after = Self.connections(of: daemon.pid, toPort: sim.port)
                return after <= 4
            }
            print("upstream connections: \(before) before, \(during) during 40 streams, \(after) after (cap 4)")
        }
    }
}
