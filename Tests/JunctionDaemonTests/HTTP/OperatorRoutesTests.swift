import Foundation
import JunctionCore
import NIOConcurrencyHelpers
import Testing

@testable import JunctionDaemon

@Suite("Operator routes: /healthz, /readyz, /metrics, /api/stats, /")
struct OperatorRoutesTests {
    private static func start(_ endpoints: OperatorEndpoints) async throws -> HTTPServerHarness {
        var router = HTTPRouter()
        OperatorRoutes.add(to: &router, endpoints)
        return try await HTTPServerHarness.start(router: router)
    }

    @Test func healthzIsOkWhileAliveAnd503WithTheProblemOtherwise() async throws {
        let problem = NIOLockedValueBox<String?>(nil)
        let harness = try await Self.start(
            OperatorEndpoints(liveness: { problem.withLockedValue { $0 } }, readiness: { .ready("ready") })
        )
        let ok = try httpGet(port: harness.port, "/healthz")
        #expect(ok.status == 200)
        #expect(ok.text == "ok\n")
        #expect(ok.header("content-type") == "text/plain; charset=utf-8")
        problem.withLockedValue { $0 = "the libcurl thread did not answer" }
        let sick = try httpGet(port: harness.port, "/healthz")
        #expect(sick.status == 503)
        #expect(sick.text == "unhealthy: the libcurl thread did not answer\n")
        try await harness.stop()
    }

    @Test func readyzFollowsTheReadinessAsTextOrJSON() async throws {
        let verdict = NIOLockedValueBox(Readiness.notReady("every provider is disabled"))
        let harness = try await Self.start(OperatorEndpoints(readiness: { verdict.withLockedValue { $0 } }))
        let down = try httpGet(port: harness.port, "/readyz")
        #expect(down.status == 503)
        #expect(down.text == "not ready: every provider is disabled\n")
        let json = try httpGet(port: harness.port, "/readyz?format=json")
        #expect(json.header("content-type") == "application/json")
        #expect(try JSONValue.parse(json.text) == ["ready": false, "reason": "every provider is disabled"])
        verdict.withLockedValue { $0 = .ready("ready: 1 of 1 providers serving (a)") }
        let up = try httpGet(port: harness.port, "/readyz", headers: ["Accept: application/json"])
        #expect(up.status == 200)
        #expect(try JSONValue.parse(up.text)["ready"] == true)
        try await harness.stop()
    }

    @Test func metricsAre404WithoutAProducerAndTheExpositionWithOne() async throws {
        let without = try await Self.start(OperatorEndpoints(readiness: { .ready("") }))
        let missing = try httpGet(port: without.port, "/metrics")
        #expect(missing.status == 404)
        #expect(missing.text == "metrics are not enabled in this daemon\n")
        try await without.stop()

        let exposition = "# TYPE junction_up gauge\njunction_up 1\n"
        let with = try await Self.start(OperatorEndpoints(readiness: { .ready("") }, metrics: { exposition }))
        let metrics = try httpGet(port: with.port, "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.header("content-type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(metrics.text == exposition)
        try await with.stop()
    }

    @Test func statsAre503UntilAProducerAnswers() async throws {
        let without = try await Self.start(OperatorEndpoints(readiness: { .ready("") }))
        #expect(try httpGet(port: without.port, "/api/stats").status == 503)
        try await without.stop()

        let snapshot = NIOLockedValueBox<JSONValue?>(nil)
        let with = try await Self.start(
            OperatorEndpoints(readiness: { .ready("") }, stats: { snapshot.withLockedValue { $0 } })
        )
        let notYet = try httpGet(port: with.port, "/api/stats")
        #expect(notYet.status == 503)
        #expect(notYet.text == "stats are not available yet\n")
        snapshot.withLockedValue { $0 = DashboardFixture.stats() }
        let stats = try httpGet(port: with.port, "/api/stats")
        #expect(stats.status == 200)
        #expect(stats.header("content-type") == "application/json")
        #expect(try JSONValue.parse(stats.text) == DashboardFixture.stats())
        try await with.stop()
    }

    @Test func theDashboardIsOneSelfContainedPage() async throws {
        let harness = try await Self.start(OperatorEndpoints(readiness: { .ready("") }))
        let page = try httpGet(port: harness.port, "/")
        #expect(page.status == 200)
        #expect(page.header("content-type") == "text/html; charset=utf-8")
        #expect(page.header("content-security-policy")?.contains("default-src 'none'") == true)
        #expect(page.text.contains("fetch(\"/api/stats\""))
        // No external assets, and no HTML parsing of data.
        for forbidden in ["http://", "https://", "src=\"//", "innerHTML", "outerHTML", "insertAdjacentHTML", "eval("] {
            let hits = page.text.components(separatedBy: forbidden).count - 1
            let allowed = forbidden == "http://" ? 1 : 0  // the SVG namespace
            #expect(hits == allowed, "\(forbidden) appears \(hits) times")
        }
        #expect(page.body == DashboardPage.bytes)
        try await harness.stop()
    }
}
