import Foundation
import JunctionCore
import NIOConcurrencyHelpers
import Testing

@testable import JunctionDaemon

/// The dashboard in a real browser: headless Chromium loads the page from the real HTTP server, whose stats come
/// from a fixture that follows the contract, and the rendered DOM is checked.
@Suite(
    "Dashboard in headless Chromium", .serialized,
    .enabled(if: HeadlessChromium.isInstalled, "chromium is not installed (apt-get install chromium)")
)
struct DashboardBrowserTests {
    private static func start(stats: @escaping @Sendable () async -> JSONValue?) async throws -> HTTPServerHarness {
        var router = HTTPRouter()
        OperatorRoutes.add(to: &router, OperatorEndpoints(readiness: { .ready("") }, stats: stats))
        return try await HTTPServerHarness.start(router: router)
    }

    /// The `<tr>` of `provider` in `dom`, as text.
    private static func row(of provider: String, in dom: String) -> String? {
        guard let start = dom.range(of: "data-provider=\"\(provider)\"") else { return nil }
        let rowStart = dom[..<start.lowerBound].range(of: "<tr", options: .backwards)?.lowerBound ?? start.lowerBound
        guard let end = dom[start.upperBound...].range(of: "</tr>") else { return nil }
        return String(dom[rowStart..<end.upperBound])
    }

    @Test func everyProviderAppearsWithItsStatusAndRequestCount() async throws {
        let fixture = DashboardFixture.stats()
        let harness = try await Self.start { fixture }
        let dom = try HeadlessChromium.dumpDOM(harness.url + "/")
        #expect(dom.contains("data-connection=\"connected\""))
        for (name, status, requests) in [("openai", "HEALTHY", "480"), ("anthropic", "UNHEALTHY", "754")] {
            let row = try #require(Self.row(of: name, in: dom), "no row for \(name) in:\n\(dom)")
            #expect(row.contains("class=\"provider\""))
            #expect(row.contains("data-status=\"\(status)\""))
            #expect(row.contains("<td data-field=\"requests_total\">\(requests)</td>"))
        }
        // Header, charts, budgets and failovers are drawn from the same snapshot.
        #expect(dom.contains("<span class=\"value\" data-field=\"requests_total\">1234</span>"))
        #expect(dom.contains("data-series=\"p95_latency_ms\""))
        #expect(dom.contains("<path class=\"series\""))
        #expect(dom.contains("data-budget=\"team-a\""))
        #expect(dom.contains("data-failover=\"r-12\""))

        let shot = HeadlessChromium.outputDirectory + "/dashboard-1366x768.png"
        try HeadlessChromium.screenshot(harness.url + "/", to: shot)
        let dark = HeadlessChromium.outputDirectory + "/dashboard-1366x768-dark.png"
        try HeadlessChromium.screenshot(harness.url + "/", to: dark, dark: true)
        print("dashboard screenshots: \(shot) \(dark)")
        let size = (try FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int) ?? 0
        #expect(size > 10_000)
        try await harness.stop()
    }

    @Test func namesFromTheConfigurationAreShownAsTextNotMarkup() async throws {
        let hostile = "<img src=x onerror=alert(1)>"
        let fixture = DashboardFixture.stats(names: [hostile, "anthropic"])
        let harness = try await Self.start { fixture }
        let dom = try HeadlessChromium.dumpDOM(harness.url + "/")
        #expect(dom.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(!dom.contains("<img"))
        try await harness.stop()
    }

    @Test func aDaemonThatStopsAnsweringShowsDisconnected() async throws {
        let harness = try await Self.start { nil }  // 503 on every poll
        let dom = try HeadlessChromium.dumpDOM(harness.url + "/")
        #expect(dom.contains("<body data-connection=\"disconnected\">"))
        #expect(dom.contains("HTTP 503"))
        try await harness.stop()
    }
}
