import Foundation
import JunctionClient
import JunctionCore
import Testing

extension EndToEnd {
    /// The real junctiond serving junction-sim traffic: the `metrics` method's counts match the requests sent (a
    /// failover and cache hits among them), promtool accepts the text, and it holds every metric the contrib
    /// dashboard and alert rules query.
    @Suite("Metrics end to end")
    struct MetricsEndToEndTests {
        static let extra = """
            [defaults.retry]
            max_retries = 1
            [routes.fo]
            targets = ["local:m-fail", "local:m-ok"]
            [providers.local.limits]
            rpm = 1000
            [accounting]
            unknown_price = "allow"
            [budgets.all]
            daily_requests = 100

            """

        @Test func theExpositionCountsTheTrafficAndPassesPromtool() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: Self.extra)
            let client = try daemon.client()
            try sim.setFault(model: "m-fail", fault: "503")
            let cached: JSONValue = ["prompt": "same", "model": "local:m-ok", "temperature": 0]
            for _ in 0..<3 { _ = try client.call("generate", params: cached) }  // one call, then two hits
            let failedOver = try client.call("generate", params: ["prompt": "fo", "route": "fo"])
            #expect(failedOver["model"] == "m-ok")
            _ = try client.call("generate", params: ["prompt": "s", "model": "local:m-ok", "stream": true])
            #expect(throws: RPCClient.ErrorReply.self) {
                try client.call("generate", params: ["prompt": "x", "model": "local:m-fail"])
            }

            let result = try client.call("metrics")
            #expect(result["enabled"] == true)
            #expect(result["content_type"] == "text/plain; version=0.0.4; charset=utf-8")
            let text = try #require(result["text"]?.stringValue)
            let metrics = Exposition(text)
            #expect(metrics.sum("junction_requests_total") == 6)
            #expect(metrics.sum("junction_requests_total", ["outcome": "cached"]) == 2)
            #expect(metrics.sum("junction_requests_total", ["outcome": "success"]) == 3)
            #expect(metrics.sum("junction_requests_total", ["route": "fo", "provider": "local", "model": "m-ok"]) == 1)
            #expect(metrics.sum("junction_requests_total", ["model": "m-fail", "outcome": "upstream_error"]) == 1)
            #expect(
                metrics.sum(
                    "junction_failovers_total", ["from": "local:m-fail", "to": "local:m-ok", "reason": "http_503"]) == 1
            )
            // What reached the simulator is the truth: two requests tried m-fail, each retrying it once or more.
            let failCalls = try sim.requests().filter { $0["model"] == "m-fail" && $0["format"] != "models" }.count
            #expect(failCalls >= 3)
            #expect(
                metrics.sum("junction_attempts_total", ["model": "m-fail", "outcome": "http_503"]) == Double(failCalls))
            #expect(
                metrics.sum("junction_retries_total", ["provider": "local", "model": "m-fail"]) == Double(failCalls - 2)
            )
            #expect(metrics.sum("junction_attempts_total", ["model": "m-ok", "outcome": "success"]) == 3)
            #expect(metrics.sum("junction_cache_requests_total", ["result": "hit"]) == 2)
            #expect(metrics.sum("junction_time_to_first_token_seconds_count", ["model": "m-ok"]) == 1)
            #expect(metrics.sum("junction_request_duration_seconds_count") == 4)  // cache hits reached no provider
            #expect(metrics.sum("junction_tokens_total", ["model": "m-ok", "kind": "prompt"]) > 0)
            #expect(metrics.sum("junction_budget_used_ratio", ["budget": "all", "period": "day"]) == 0.06)
            #expect(metrics.sum("junction_rate_window_used_ratio", ["provider": "local", "window": "rpm"]) > 0)
            #expect(metrics.sum("junction_provider_status", ["provider": "local"]) == 1)
            #expect(metrics.sum("junction_inflight_requests") == 1)  // the metrics call itself
            #expect(metrics.sum("junction_build_info", ["version": JunctionVersion.current]) == 1)
            #expect(metrics.sum("process_resident_memory_bytes") > 0)
            #expect(!text.contains("SECRET"))

            // Everything the contrib dashboard and alerts query is here, but the feedback score (no rating yet).
            let missing = try ContribMetricsTests.queriedNames().subtracting(metrics.families)
            #expect(missing == ["junction_feedback_score"], "\(missing.sorted())")

            if let promtool = Promtool.path {
                let check = try Promtool.checkMetrics(text, promtool: promtool)
                #expect(
                    check.status == 0 && check.stdout.isEmpty && check.stderr.isEmpty, "\(check.stdout)\(check.stderr)")
            } else {
                print("skipped promtool check: promtool not found (Debian package prometheus; make deps installs it)")
            }

            // junctionctl prints the same exposition.
            let ctl = try runCommand(
                binaryDirectory() + "/junctionctl", ["--socket", daemon.socket, "metrics"],
                environment: ["PATH": "/usr/bin:/bin"]
            )
            #expect(ctl.status == 0, "\(ctl.stderr)")
            #expect(Exposition(ctl.stdout).sum("junction_requests_total") == 6)
        }

        @Test func disabledMetricsSayWhy() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: "[metrics]\nenabled = false\n")
            _ = try daemon.client().call("generate", params: ["prompt": "hi", "model": "local:m-ok"])
            let result = try daemon.client().call("metrics")
            #expect(result["enabled"] == false)
            #expect(result["text"]?.stringValue?.contains("junction_requests_total") == false)
            let ctl = try runCommand(
                binaryDirectory() + "/junctionctl", ["--socket", daemon.socket, "metrics"],
                environment: ["PATH": "/usr/bin:/bin"]
            )
            #expect(ctl.status == 0)
            #expect(ctl.stderr.contains("[metrics] enabled = false"))
        }

        @Test func badMetricsConfigurationIsRefusedWithTheKey() throws {
            let directory = try TemporaryDirectory()
            let config = try directory.write("j.toml", contents: "[metrics]\nmax_models = -1\nclient_label = true\n")
            let result = try runCommand(
                binaryDirectory() + "/junctiond", ["--check-config", "--config", config],
                environment: ["PATH": "/usr/bin:/bin"]
            )
            #expect(result.status == 1)
            #expect(
                result.stderr.contains("metrics.max_models: must be between 0 and 10000, got -1"), "\(result.stderr)")
            #expect(result.stderr.contains("metrics.client_label: unknown key"), "\(result.stderr)")
        }
    }
}
