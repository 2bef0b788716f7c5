import Foundation
import Testing

extension EndToEnd {
    /// junction-sim and junction-bench explain a socket they cannot use: which address or path, and what to do.
    @Suite("junction-sim and junction-bench errors")
    struct ToolErrorTests {
        @Test func theSimulatorNamesABusyPortAndSaysWhatToDo() throws {
            let first = try SimProcess()
            let second = try runCommand(binaryDirectory() + "/junction-sim", ["--port", "\(first.port)"])
            #expect(second.status == 1)
            #expect(second.stderr.hasPrefix("junction-sim: cannot listen on 127.0.0.1:\(first.port): "))
            #expect(second.stderr.contains("(errno 98)"))
            #expect(second.stderr.contains("hint: another process listens on port \(first.port)"))
            #expect(!second.stderr.contains("bind(descriptor"))
        }

        @Test func theBenchmarkNamesAMissingSocketAndSaysWhatToDo() throws {
            let directory = try TemporaryDirectory()
            let socket = directory.path + "/absent.sock"
            let result = try runCommand(binaryDirectory() + "/junction-bench", ["--socket", socket, "--requests", "1"])
            #expect(result.status == 1)
            #expect(result.stderr.hasPrefix("junction-bench: cannot connect to \(socket): No such file or directory"))
            #expect(result.stderr.contains("hint: no socket at that path; is junctiond running?"))
            // A socket file nobody listens on.
            let stale = directory.path + "/stale.sock"
            let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { buffer in
                for (index, byte) in stale.utf8.enumerated() { buffer[index] = byte }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            close(fd)
            #expect(bound == 0)
            let refused = try runCommand(binaryDirectory() + "/junction-bench", ["--socket", stale, "--requests", "1"])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("cannot connect to \(stale): Connection refused"))
            #expect(refused.stderr.contains("hint: the socket file exists but no junctiond listens on it"))
        }

        /// Issue 8, defect 12: the daemon going away mid-run ends the benchmark with a report and a clear error.
        @Test func theBenchmarkEndsWhenTheDaemonGoesAway() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let bench = Process()
            bench.executableURL = URL(fileURLWithPath: binaryDirectory() + "/junction-bench")
            bench.arguments = [
                "--socket", daemon.socket, "--model", "openai:sim-pace-50", "--stream", "--concurrency", "4",
                "--duration", "120", "--warmup", "0",
            ]
            let errors = Pipe()
            bench.standardOutput = Pipe()
            bench.standardError = errors
            try bench.run()
            // Wait until the benchmark's requests are in flight, then take the daemon away.
            let observer = try daemon.client()
            try poll(until: "the benchmark's requests are in flight", timeout: .seconds(20)) {
                try DaemonProcess.inflight(observer) >= 4
            }
            daemon.signal(SIGKILL)
            do {
                try poll(until: "junction-bench to exit after the daemon went away", timeout: .seconds(20)) {
                    !bench.isRunning
                }
            } catch {
                bench.terminate()
                Issue.record("\(error)")
            }
            bench.waitUntilExit()
            #expect(bench.terminationStatus == 1)
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(stderr.contains("the daemon closed the connection during the run"))
        }
    }
}
