import Foundation
import JunctionClient
import JunctionCore
import JunctionRPC
import Testing

extension EndToEnd {
    /// Issue 8, defect 5: every `provider:model` name a caller chose left state behind for good (20,000 names:
    /// +85 MB, an 11 MB `providers.health`), and each failing one was probed every 5 s for ever.
    @Suite("Caller-chosen model names")
    struct DynamicTargetEndToEndTests {
        private func targets(_ client: RPCClient) throws -> [JSONValue] {
            let health = try client.call("providers.health", params: ["provider": "openai"])
            return health["providers"]?.arrayValue?.first?["targets"]?.arrayValue ?? []
        }

        @Test func manyDistinctNamesKeepTheHealthReportBounded() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: "[resilience]\nmax_dynamic_targets = 50\n")
            let client = try daemon.client(timeout: 30)
            _ = try client.call("generate", params: ["prompt": "hi", "model": "openai:gpt-4o-mini"])
            for index in 0..<400 {
                _ = try client.call("generate", params: ["prompt": "hi", "model": .string("openai:name-\(index)")])
            }
            let models = try self.targets(client).compactMap { $0["model"]?.stringValue }
            // The configured model, and the 50 names used last.
            #expect(models.count == 51)
            #expect(models.contains("gpt-4o-mini"))
            #expect(models.contains("name-399"))
            #expect(!models.contains("name-349"))
        }

        @Test func failingNamesAreProbedWhileRecentAndNotAfterTheyExpire() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(
                extra: """
                    [defaults.retry]
                    max_retries = 0
                    [defaults.breaker]
                    failure_threshold = 1
                    open_for = "1s"
                    [resilience]
                    dynamic_target_idle_expiry = "7s"

                    """
            )
            let client = try daemon.client(timeout: 30)
            // A configured target with an open breaker, probed on the same rounds for as long as it fails: its
            // probes show that rounds have run, so the absence of the others' can be observed, not waited for.
            try sim.setFault(model: "gpt-4o-mini", fault: "503")
            #expect(throws: RPCError.self) {
                try client.call("generate", params: ["prompt": "hi", "model": "openai:gpt-4o-mini"])
            }
            func configuredProbes() throws -> Int {
                try sim.requests().filter { $0["model"]?.stringValue == "gpt-4o-mini" }.count
            }
            let names = (0..<4).map { "sim-503-name\($0)" }
            for name in names {
                #expect(throws: RPCError.self) {
                    try client.call("generate", params: ["prompt": "hi", "model": .string("openai:\(name)")])
                }
            }
            func seen() throws -> [String: Int] {
                var counts: [String: Int] = [:]
                for request in try sim.requests() {
                    guard let model = request["model"]?.stringValue, names.contains(model) else { continue }
                    counts[model, default: 0] += 1
                }
                return counts
            }
            // Open breakers of names used within the expiry are probed (every 5 s)...
            try poll(until: "a probe of every failing name", timeout: .seconds(15)) {
                try seen().values.filter { $0 >= 2 }.count == names.count
            }
            // ... and once idle for the expiry, with their open interval over, they are forgotten ...
            try poll(until: "the failing names to leave providers.health", timeout: .seconds(15)) {
                try self.targets(client).allSatisfy { !names.contains($0["model"]?.stringValue ?? "") }
            }
            // ... and never probed again, while two more probe rounds run for the configured target.
            let settled = try seen()
            let rounds = try configuredProbes()
            try poll(until: "two more probe rounds of the configured target", timeout: .seconds(20)) {
                try configuredProbes() >= rounds + 2
            }
            #expect(try seen() == settled)
        }
    }
}
