import Foundation
import JunctionCore
import Testing

@testable import JunctionProviders

extension EndToEnd {
    /// How often the transport wakes a stream's consumer.
    @Suite("Transport wake-ups")
    struct TransportWakeUpTests {
        /// A chunked answer whose 1,000 chunks arrive in one read reaches the consumer as one piece: libcurl calls
        /// the write callback once per chunk, and waking the consumer at the first of them made it take a few
        /// chunks, write, and wait again (one thread hop and one client write per handful of tokens).
        @Test func chunksThatArriveInOneReadWakeTheConsumerOnce() async throws {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            var response = Array(head.utf8)
            for _ in 0..<1000 { response += Array("1\r\nx\r\n".utf8) }
            response += Array("0\r\n\r\n".utf8)
            let server = try OneWriteHTTPServer(response: response, gated: true)
            defer { server.stop() }
            let transport = Transport()
            transport.start()
            defer { transport.shutdown() }
            let request = HTTPRequest(
                url: "http://127.0.0.1:\(server.port)/v1/chat/completions",
                body: Array("{}".utf8),
                streamsBody: true
            )
            for round in 1...5 {
                let stream = transport.execute(request)
                let consumer = Task {
                    var pieces = 0
                    var bytes = 0
                    for try await part in stream {
                        if case .body(let chunk) = part {
                            pieces += 1
                            bytes += chunk.count
                        }
                    }
                    return (pieces, bytes)
                }
                // The answer leaves only once the consumer waits for it: a consumer that is still starting up
                // would see the chunks half delivered whatever the wake-ups.
                let deadline = ContinuousClock.now + .seconds(10)
                while !(stream.consumerIsWaiting && server.requestsReceived == round), ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(1))
                }
                server.release()
                let (pieces, bytes) = try await consumer.value
                #expect(bytes == 1000)
                #expect(pieces == 1, "the consumer was woken for \(pieces) pieces of one read")
            }
        }
    }
}
