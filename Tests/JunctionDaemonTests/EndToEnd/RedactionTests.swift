import Foundation
import JunctionClient
import JunctionCore
import JunctionRPC
import Testing

extension EndToEnd {
    /// Issue 8, defect 2: a provider (or proxy) that echoes the request's credential headers in its error body
    /// must not hand the key to the caller, the log or the health report.
    @Suite("Secrets in upstream text")
    struct RedactionTests {
        @Test func echoedKeysNeverReachTheCaller() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            for model in ["openai:sim-echo", "anthropic:sim-echo", "gemini:sim-echo"] {
                do {
                    _ = try client.call("generate", params: ["prompt": "hi", "model": .string(model)])
                    Issue.record("\(model) answered")
                } catch let reply as RPCClient.ErrorReply {
                    let text = reply.json.compactText
                    for secret in SimProcess.keys.values { #expect(!text.contains(secret), "\(model): \(text)") }
                    // The echo was there, and was replaced.
                    #expect(text.contains("Headers received"), "\(model): \(text)")
                    #expect(text.contains(SecretRedactor.marker), "\(model): \(text)")
                }
            }
            // The simulator did receive the keys: the echo carried them.
            #expect(try sim.requests().filter { $0["model"] == "sim-echo" }.count == 3)
            let health = try client.call("providers.health").compactText
            for secret in SimProcess.keys.values {
                #expect(!health.contains(secret))
                #expect(!daemon.log.contains(secret))
            }
        }
    }
}
