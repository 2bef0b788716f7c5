import Foundation
import JunctionCore
import JunctionProviders
import Testing

extension EndToEnd {
    /// Issue 8, defect 9: every `curl_easy_setopt` is checked. A refused option fails the transfer with a clear
    /// error, is reported, and the handle is not reused.
    @Suite("Transport options")
    struct TransportOptionTests {
        /// Collects the transport's incidents.
        final class Incidents: @unchecked Sendable {
            private let lock = NSLock()
            private var seen: [TransportIncident] = []
            func record(_ incident: TransportIncident) { self.lock.withLock { self.seen.append(incident) } }
            var all: [TransportIncident] { self.lock.withLock { self.seen } }
        }

        private func failure(_ transport: Transport, _ request: HTTPRequest) async -> TransportError? {
            do {
                for try await _ in transport.execute(request) {}
                return nil
            } catch {
                return error as? TransportError
            }
        }

        @Test func aRefusedOptionFailsTheTransferAndNamesTheOption() async throws {
            let sim = try SimProcess()
            let incidents = Incidents()
            let transport = Transport(configuration: Transport.Configuration(incidents: { incidents.record($0) }))
            transport.start()
            defer { transport.shutdown() }
            let body: JSONValue = ["model": "gpt-4o-mini", "messages": [["role": "user", "content": "hi"]]]
            // libcurl refuses strings longer than 8,000,000 bytes (CURLE_BAD_FUNCTION_ARGUMENT). Ignored, the
            // transfer ran without a URL (or with the previous one on a reused handle).
            let tooLong = sim.baseURL + "/v1/chat/completions?" + String(repeating: "a", count: 8_000_001)
            for stream in [false, true] {
                let request = HTTPRequest(url: tooLong, body: body.serialized(), streamsBody: stream)
                let error = await self.failure(transport, request)
                #expect(error?.failure == .other)
                let expected = "curl_easy_setopt(CURLOPT_URL) failed: A libcurl function was given a bad argument (43)"
                #expect(error?.detail == expected, "\(error.map(String.init(describing:)) ?? "no error")")
            }
            #expect(incidents.all.count == 2)
            #expect(
                incidents.all.allSatisfy {
                    if case .optionRefused(let text) = $0 { text.contains("CURLOPT_URL") } else { false }
                }
            )
            // The handles that refused were discarded: the next requests run normally.
            for stream in [false, true] {
                let url = sim.baseURL + "/v1/chat/completions"
                let request = HTTPRequest(url: url, body: body.serialized(), streamsBody: stream)
                var status = 0
                for try await part in transport.execute(request) {
                    if case .head(let head) = part { status = head.status }
                }
                #expect(status == 200)
            }
            #expect(try sim.requests().count == 2)
        }
    }
}
