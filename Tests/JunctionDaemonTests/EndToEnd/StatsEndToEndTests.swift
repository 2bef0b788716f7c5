import Foundation
import JunctionClient
import JunctionCore
import Testing

extension EndToEnd {
    /// `stats.snapshot` through the real daemon, libcurl and junction-sim.
    @Suite("stats.snapshot end to end")
    struct StatsEndToEndTests {
        @Test func theSnapshotCountsRequestsFailoversAndEveryProvider() throws {
            let sim = try SimProcess()
            let route = "[defaults.retry]\nmax_retries = 0\n[routes.r]\ntargets = [\"local:stats-a\", \"ollama:stats-b\"]\n"
            let daemon = try sim.daemon(extra: route)
            let client = try daemon.client()
            for _ in 0..<3 { _ = try client.call("generate", params: ["prompt": "hi", "model": "openai:gpt-4o-mini"]) }
            try sim.setFault(model: "stats-a", fault: "503")
            let moved = try client.call("generate", params: ["prompt": "hi", "route": "r"])
            #expect(moved["provider"] == "ollama")

            let snapshot = try client.call("stats.snapshot")
            #expect(snapshot["requests_total"] == 4)
            #expect(snapshot["errors_total"] == 0)
            #expect((snapshot["requests_per_second"]?.doubleValue ?? 0) > 0)
            #expect(snapshot["version"] == .string(JunctionVersion.current))
            let providers = snapshot["providers"]?.arrayValue ?? []
            // Every configured provider is listed, served or not.
            #expect(
                Set(providers.compactMap { $0["provider"]?.stringValue })
                    == ["openai", "anthropic", "gemini", "deepseek", "qwen", "ollama", "local", "cursor"]
            )
            let openai = providers.first { $0["provider"] == "openai" }
            #expect(openai?["requests_total"] == 3)
            #expect(openai?["status"] != nil)
            #expect(openai?["targets"]?.arrayValue?.first { $0["model"] == "gpt-4o-mini" }?["requests_total"] == 3)
            let failover = snapshot["failovers"]?.arrayValue?.first
            #expect(failover?["from"] == "local:stats-a")
            #expect(failover?["to"] == "ollama:stats-b")
            #expect(failover?["reason"] == "http_503")
            #expect(failover?["request_id"] == moved["request_id"])
            let series = snapshot["series"]?["providers"]?["openai"]?["requests_per_second"]?.arrayValue
            #expect(series?.count == snapshot["series"]?["points"]?.intValue)
            // The three requests show in the bucket(s) they fell in; the rest of the 15 minutes is idle.
            #expect((series ?? []).compactMap(\.doubleValue).filter { $0 > 0 }.count >= 1)
            #expect((series ?? []).dropLast(2).allSatisfy { $0.doubleValue == 0 })
            #expect(snapshot["cache"]?["enabled"] == true)
            #expect(snapshot["ledger"]?["state"] != nil)
        }
    }
}
