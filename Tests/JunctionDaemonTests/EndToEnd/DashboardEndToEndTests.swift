import Foundation
import JunctionClient
import JunctionCore
import Testing

extension EndToEnd {
    /// The dashboard in headless Chromium against the real daemon serving junction-sim's answers: every configured
    /// provider appears with its status, and the ones that served requests with their count.
    @Suite(
        "Dashboard against the real daemon",
        .enabled(if: HeadlessChromium.isInstalled, "chromium is not installed (apt-get install chromium)")
    )
    struct DashboardEndToEndTests {
        @Test func everyConfiguredProviderAppearsWithItsStatusAndRequests() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: "[http]\nlisten = [\"127.0.0.1:0\"]\n")
            let port = try daemon.httpPort()
            let client = try daemon.client()
            let served = ["openai:gpt-4o-mini": 3, "anthropic:claude-3-5-haiku-latest": 2, "local:dash": 1]
            for (model, count) in served {
                for _ in 0..<count { _ = try client.call("generate", params: ["prompt": "hi", "model": .string(model)]) }
            }
            let dom = try HeadlessChromium.dumpDOM("http://127.0.0.1:\(port)/")
            #expect(dom.contains("data-connection=\"connected\""))
            let snapshot = try client.call("stats.snapshot")
            for provider in snapshot["providers"]?.arrayValue ?? [] {
                guard let name = provider["provider"]?.stringValue, let status = provider["status"]?.stringValue
                else { continue }
                // The provider's own row: from its `<tr` to the next `</tr>`.
                let start = try #require(dom.range(of: "data-provider=\"\(name)\""), "no row for \(name)")
                let rowStart = dom[..<start.lowerBound].range(of: "<tr", options: .backwards)?.lowerBound ?? start.lowerBound
                let rowEnd = dom[start.upperBound...].range(of: "</tr>")?.upperBound ?? dom.endIndex
                let row = String(dom[rowStart..<rowEnd])
                #expect(row.contains("data-status=\"\(status)\""), "\(name)'s status \(status) is not in its row: \(row)")
                let requests = provider["requests_total"]?.intValue ?? -1
                #expect(row.contains("<td data-field=\"requests_total\">\(requests)</td>"), "\(name): \(row)")
            }
            #expect(snapshot["providers"]?.arrayValue?.count == 8)
            let counts = (snapshot["providers"]?.arrayValue ?? []).compactMap { $0["requests_total"]?.intValue }
            #expect(counts.sorted() == [0, 0, 0, 0, 0, 1, 2, 3])
            let shot = HeadlessChromium.outputDirectory + "/dashboard-live-1366x768.png"
            try HeadlessChromium.screenshot("http://127.0.0.1:\(port)/", to: shot)
            print("dashboard against the real daemon: \(shot)")
        }
    }
}
