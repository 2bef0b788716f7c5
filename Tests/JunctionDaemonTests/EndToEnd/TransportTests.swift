import Foundation
import JunctionCore
import JunctionProviders
import Testing

extension EndToEnd {
    /// The libcurl transport on its own, against the simulator.
    @Suite("Transport")
    struct TransportTests {
        private func post(_ sim: SimProcess, model: String, stream: Bool = true, timeouts: TransportTimeouts = TransportTimeouts()) -> HTTPRequest {
            let body: JSONValue = ["model": .string(model), "messages": [["role": "user", "content": "hi"]], "stream": .bool(stream)]
            return HTTPRequest(url: sim.baseURL + "/v1/chat/completions", body: body.serialized(), timeouts: timeouts, streamsBody: stream)
        }

        @Test func aSlowConsumerPausesTheTransferInsteadOfBuffering() async throws {
            let sim = try SimProcess()
            let transport = Transport()
            transport.start()
            defer { transport.shutdown() }
            let stream = transport.execute(self.post(sim, model: "sim-flood"))
            var iterator = stream.makeAsyncIterator()
            guard case .head(let head)? = try await iterator.next() else {
                Issue.record("no head")
                return
            }
            #expect(head.status == 200)
            // The consumer stops reading for a second while the simulator floods (about 6 MB/s).
            try await Task.sleep(for: .seconds(1))
            #expect(stream.bufferedBytes <= 256 * 1024 + 64 * 1024, "\(stream.bufferedBytes) bytes buffered")
            // Reading resumes the transfer: far more than the buffer arrives over time.
            var received = 0
            while received < 4 << 20 {
                guard case .body(let bytes)? = try await iterator.next() else { break }
                received += bytes.count
            }
            #expect(received >= 4 << 20)
            #expect(stream.bufferedBytes <= 256 * 1024 + 64 * 1024)
        }

        @Test func cancellingTheConsumerTearsTheTransferDown() async throws {
            let sim = try SimProcess(tokenDelayMs: 500)
            let transport = Transport()
            transport.start()
            defer { transport.shutdown() }
            let request = self.post(sim, model: "gpt-4o-mini")
            let task = Task {
                var chunks = 0
                for try await _ in transport.execute(request) { chunks += 1 }
                return chunks
            }
            try await Task.sleep(for: .milliseconds(300))
            let cancelled = ContinuousClock.now
            task.cancel()
            _ = try? await task.value
            #expect(ContinuousClock.now - cancelled < .milliseconds(200))
            var outcome: JSONValue?
            for _ in 0..<50 {
                outcome = try sim.requests().last?["outcome"]
                if outcome == "client_gone" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(outcome == "client_gone")
        }

        @Test func eachTimeoutFailsWithItsOwnKind() async throws {
            let sim = try SimProcess()
            let transport = Transport()
            transport.start()
            defer { transport.shutdown() }
            let short = TransportTimeouts(connect: .seconds(1), firstByte: .milliseconds(500), idle: .milliseconds(500), overall: .seconds(5))
            func failure(_ request: HTTPRequest) async -> TransportFailure? {
                do {
                    for try await _ in transport.execute(request) {}
                    return nil
                } catch let error as TransportError {
                    return error.failure
                } catch {
                    return .other
                }
            }
            #expect(await failure(self.post(sim, model: "sim-hang", timeouts: short)) == .firstByteTimeout)
            #expect(await failure(self.post(sim, model: "sim-headersforever", timeouts: short)) == .firstByteTimeout)
            #expect(await failure(self.post(sim, model: "sim-stall-2", timeouts: short)) == .idleTimeout)
            var overall = short
            overall.overall = .milliseconds(700)
            overall.idle = .seconds(5)
            #expect(await failure(self.post(sim, model: "sim-pace-100", timeouts: overall)) == .deadline)
            // Nothing listens on port 9 of localhost: refused.
            #expect(await failure(HTTPRequest(url: "http://127.0.0.1:9/v1/chat/completions", body: [])) == .connectRefused)
            #expect(await failure(HTTPRequest(url: "http://no-such-host.invalid/v1", body: [])) == .dns)
            var limited = self.post(sim, model: "sim-flood")
            limited.maxResponseBytes = 100_000
            #expect(await failure(limited) == .bodyTooLarge)
        }

        @Test func manyConcurrentTransfersShareTheThread() async throws {
            let sim = try SimProcess(tokenDelayMs: 5)
            let transport = Transport()
            transport.start()
            defer { transport.shutdown() }
            let request = self.post(sim, model: "gpt-4o-mini")
            let completed = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        var bytes = 0
                        for try await part in transport.execute(request) {
                            if case .body(let chunk) = part { bytes += chunk.count }
                        }
                        return bytes
                    }
                }
                var completed = 0
                for try await bytes in group where bytes > 0 { completed += 1 }
                return completed
            }
            #expect(completed == 100)
        }
    }
}
