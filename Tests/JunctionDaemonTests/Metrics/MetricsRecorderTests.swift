import JunctionCore
import Testing

@testable import JunctionDaemon

/// The recorder fed hand-made outcomes: counts, labels, the cardinality bounds and `[metrics]` settings.
@Suite struct MetricsRecorderTests {
    typealias Fixture = MetricsFixture

    @Test func anAnsweredRequestCountsItsRequestAttemptTokensCostAndDuration() throws {
        let fixture = try Fixture()
        let usage = Usage(
            promptTokens: 10, completionTokens: 20, cachedTokens: 4, cacheWriteTokens: 3, reasoningTokens: 5)
        let attempts = [Fixture.attempt("a:m1", usage: usage, costMicroUSD: 1_500)]
        fixture.report(
            fixture.request(route: "main", attempts: attempts, result: fixture.answered("a:m1", attempts: attempts))
        )
        let metrics = fixture.exposition
        let labels = ["provider": "a", "model": "m1"]
        #expect(
            metrics.matching("junction_requests_total").map(\.labels) == [
                ["route": "main", "provider": "a", "model": "m1", "outcome": "success"]
            ])
        #expect(metrics.sum("junction_requests_total") == 1)
        #expect(metrics.sum("junction_attempts_total", labels.merging(["outcome": "success"]) { $1 }) == 1)
        for (kind, count) in ["prompt": 10.0, "completion": 20, "cached": 4, "cache_write": 3, "reasoning": 5] {
            #expect(metrics.sum("junction_tokens_total", labels.merging(["kind": kind]) { $1 }) == count, "\(kind)")
        }
        #expect(abs(metrics.sum("junction_cost_usd_total", labels) - 0.0015) < 1e-12)
        let duration = labels.merging(["stream": "false"]) { $1 }
        #expect(metrics.sum("junction_request_duration_seconds_count", duration) == 1)
        #expect(abs(metrics.sum("junction_request_duration_seconds_sum", duration) - 0.3) < 1e-9)
        #expect(metrics.sum("junction_request_duration_seconds_bucket", duration.merging(["le": "0.25"]) { $1 }) == 0)
        #expect(metrics.sum("junction_request_duration_seconds_bucket", duration.merging(["le": "0.5"]) { $1 }) == 1)
        #expect(metrics.matching("junction_time_to_first_token_seconds_count").isEmpty)  // not streamed
        #expect(metrics.sum("junction_retries_total") == 0)
        #expect(metrics.matching("junction_failovers_total").isEmpty)
        for name in metrics.families { #expect(metrics.help[name]?.isEmpty == false, "HELP for \(name)") }
    }

    @Test func retriesAndFailoversAreCountedBetweenConsecutiveAttempts() throws {
        let fixture = try Fixture()
        let billed = Usage(promptTokens: 7, completionTokens: 2)
        let attempts = [
            Fixture.attempt("a:m1", reason: "http_503"), Fixture.attempt("a:m1", reason: "stream_cut", usage: billed),
            Fixture.attempt("b:m2", usage: Usage(promptTokens: 10, completionTokens: 1)),
        ]
        fixture.report(
            fixture.request(route: "main", attempts: attempts, result: fixture.answered("b:m2", attempts: attempts))
        )
        let metrics = fixture.exposition
        #expect(metrics.sum("junction_retries_total", ["provider": "a", "model": "m1"]) == 1)
        #expect(
            metrics.matching("junction_failovers_total").map(\.labels) == [
                ["from": "a:m1", "to": "b:m2", "reason": "stream_cut"]
            ])
        #expect(metrics.sum("junction_failovers_total") == 1)
        #expect(metrics.sum("junction_attempts_total", ["model": "m1", "outcome": "http_503"]) == 1)
        #expect(metrics.sum("junction_attempts_total", ["model": "m1", "outcome": "stream_cut"]) == 1)
        // The failed attempt's bill is its target's; the request is the answering target's.
        #expect(metrics.sum("junction_tokens_total", ["model": "m1", "kind": "prompt"]) == 7)
        #expect(metrics.sum("junction_tokens_total", ["model": "m2", "kind": "prompt"]) == 10)
        #expect(metrics.sum("junction_requests_total", ["provider": "b", "model": "m2", "outcome": "success"]) == 1)
    }

    @Test func outcomesAndRoutesTakeTheirDocumentedValues() throws {
        let fixture = try Fixture()
        fixture.report(
            fixture.request(model: "main", attempts: [], result: fixture.answered("a:m1", attempts: [], served: .hit)))
        fixture.report(
            fixture.request(
                model: "a:m1", attempts: [], result: fixture.answered("a:m1", attempts: [], served: .coalesced))
        )
        let failed = [Fixture.attempt("a:m1", reason: "http_500")]
        fixture.report(
            fixture.request(attempts: failed, result: fixture.answered("a:m1", attempts: failed, served: .stale))
        )
        let refusal = GenerateFailure(kind: .noProviderAvailable)
        fixture.report(fixture.request(route: "nope", attempts: [], result: .failed(refusal)))
        fixture.report(
            fixture.request(route: "main", attempts: failed, result: .failed(GenerateFailure(kind: .timeout))))
        fixture.report(fixture.request(attempts: [], result: .cancelled))
        let metrics = fixture.exposition
        let seen = Set(
            metrics.matching("junction_requests_total").map { sample in
                [
                    sample.labels["route"]!, sample.labels["provider"]!, sample.labels["model"]!,
                    sample.labels["outcome"]!,
                ]
            })
        #expect(
            seen == [
                ["main", "a", "m1", "cached"], ["direct", "a", "m1", "cached"], ["default", "a", "m1", "stale"],
                ["other", "none", "none", "no_provider_available"], ["main", "a", "m1", "timeout"],
                ["default", "none", "none", "cancelled"],
            ])
        // Cache answers never reached a provider: no latency of theirs. The stale one and the timeout did.
        #expect(metrics.sum("junction_request_duration_seconds_count") == 2)
    }

    @Test func unconfiguredModelsAreCappedAndTheRestReadOther() throws {
        let fixture = try Fixture("[metrics]\nmax_models = 2\n")
        for model in ["m1", "m2", "x1", "x2", "x3", "x4", String(repeating: "y", count: 200)] {
            let attempts = [Fixture.attempt("a:\(model)")]
            fixture.report(
                fixture.request(
                    model: "a:\(model)", attempts: attempts, result: fixture.answered("a:\(model)", attempts: attempts))
            )
        }
        let metrics = fixture.exposition
        #expect(metrics.values(of: "model", in: "junction_requests_total") == ["m1", "m2", "x1", "x2", "other"])
        #expect(metrics.values(of: "model", in: "junction_attempts_total") == ["m1", "m2", "x1", "x2", "other"])
        #expect(metrics.sum("junction_requests_total", ["model": "other"]) == 3)
        #expect(metrics.sum("junction_requests_total") == 7)
        // A reload that names a model lets it through from then on.
        try fixture.reload("[metrics]\nmax_models = 2\n[routes.more]\ntargets = [\"a:x4\"]\n")
        let attempts = [Fixture.attempt("a:x4")]
        fixture.report(
            fixture.request(route: "more", attempts: attempts, result: fixture.answered("a:x4", attempts: attempts)))
        #expect(fixture.exposition.sum("junction_requests_total", ["route": "more", "model": "x4"]) == 1)
    }

    @Test func clientLabelsAreOffByDefaultAndBoundedWhenOn() throws {
        let plain = try Fixture()
        plain.report(plain.request(client: "batch", attempts: [], result: .cancelled))
        #expect(plain.exposition.matching("junction_requests_total").allSatisfy { $0.labels["client"] == nil })

        let fixture = try Fixture("[metrics]\nclient_labels = true\nmax_clients = 1\n")
        for client in ["batch", "web", "cli", nil] {
            fixture.report(fixture.request(client: client, attempts: [], result: .cancelled))
        }
        let metrics = fixture.exposition
        #expect(metrics.values(of: "client", in: "junction_requests_total") == ["batch", "other"])
        #expect(metrics.sum("junction_requests_total", ["client": "other"]) == 3)
    }

    @Test func disabledMetricsCountNothingUntilAReloadEnablesThem() throws {
        let fixture = try Fixture("[metrics]\nenabled = false\n")
        let attempts = [Fixture.attempt("a:m1")]
        let outcome = fixture.request(attempts: attempts, result: fixture.answered("a:m1", attempts: attempts))
        fixture.report(outcome)
        fixture.recorder.recordFeedback(provider: "a", model: "m1", score: 1)
        #expect(!fixture.recorder.isEnabled)
        #expect(fixture.exposition.samples.isEmpty)
        try fixture.reload("")
        fixture.report(outcome)
        #expect(fixture.recorder.isEnabled)
        #expect(fixture.exposition.sum("junction_requests_total") == 1)
        #expect(fixture.exposition.sum("junction_attempts_total") == 1)
    }

    @Test func streamsRecordTheirTimeToFirstToken() throws {
        let fixture = try Fixture()
        let attempts = [Fixture.attempt("b:m2")]
        let result = fixture.answered("b:m2", attempts: attempts, ttft: .milliseconds(80))
        fixture.report(fixture.request(route: "main", stream: true, attempts: attempts, result: result))
        let metrics = fixture.exposition
        let labels = ["provider": "b", "model": "m2"]
        #expect(metrics.sum("junction_time_to_first_token_seconds_count", labels) == 1)
        #expect(metrics.sum("junction_time_to_first_token_seconds_bucket", labels.merging(["le": "0.05"]) { $1 }) == 0)
        #expect(metrics.sum("junction_time_to_first_token_seconds_bucket", labels.merging(["le": "0.1"]) { $1 }) == 1)
        #expect(metrics.sum("junction_request_duration_seconds_count", labels.merging(["stream": "true"]) { $1 }) == 1)
    }

    @Test func feedbackScoresFormAHistogramClampedToZeroOne() throws {
        let fixture = try Fixture()
        for score in [0.0, 0.45, 1.0, 7, -1, .nan] {
            fixture.recorder.recordFeedback(provider: "a", model: "m1", score: score)
        }
        let metrics = fixture.exposition
        let labels = ["provider": "a", "model": "m1"]
        #expect(metrics.sum("junction_feedback_score_count", labels) == 5)  // NaN is dropped
        #expect(metrics.sum("junction_feedback_score_sum", labels) == 2.45)
        #expect(metrics.sum("junction_feedback_score_bucket", labels.merging(["le": "0.1"]) { $1 }) == 2)
        #expect(metrics.sum("junction_feedback_score_bucket", labels.merging(["le": "0.5"]) { $1 }) == 3)
    }

    @Test func reasonLabelsComeFromTheStableSet() {
        #expect(MetricLabels.reason("http_503") == "http_503")
        #expect(MetricLabels.reason("stream_cut") == "stream_cut")
        #expect(MetricLabels.reason("http_5033") == "other")
        #expect(MetricLabels.reason("http_abc") == "other")
        #expect(MetricLabels.reason("something new") == "other")
        #expect(MetricLabels.reason(nil) == "other")
    }
}
