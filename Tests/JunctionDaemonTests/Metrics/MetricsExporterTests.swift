import Foundation
import JunctionCore
import NIOConcurrencyHelpers
import Testing

@testable import JunctionDaemon

/// The exporter over fake sources: the state-mirroring series, their removal, monotonic mirrored counters, the
/// process metrics' parsing, and promtool's verdict on the text.
@Suite struct MetricsExporterTests {
    /// Sources whose values a test sets.
    final class FakeSources: Sendable {
        let resilience = NIOLockedValueBox(Resilience.MetricsState())
        let budgets = NIOLockedValueBox<[BudgetStatus]>([])
        let cache = NIOLockedValueBox(
            ResponseCache.Stats(
                enabled: true, entries: 0, bytes: 0, maxBytes: 0, hits: 0, misses: 0, staleServes: 0,
                coalescedJoins: 0, evictions: 0, stores: 0, savedMicroUSD: 0, savedUnknown: 0
            )
        )
        let dropped = NIOLockedValueBox(0)

        var sources: MetricsExporter.Sources {
            MetricsExporter.Sources(
                resilience: { self.resilience.withLockedValue { $0 } },
                budgets: { self.budgets.withLockedValue { $0 } },
                cache: { self.cache.withLockedValue { $0 } },
                live: { LiveCounters(connections: 3, inflight: 2, eventSubscribers: 0) },
                ledgerDroppedRows: { self.dropped.withLockedValue { $0 } }
            )
        }
    }

    private func exporter(_ extra: String = "") throws -> (MetricsExporter, FakeSources, MetricsFixture) {
        let fixture = try MetricsFixture(extra)
        let fake = FakeSources()
        return (MetricsExporter(recorder: fixture.recorder, sources: fake.sources, version: "9.9.9"), fake, fixture)
    }

    @Test func stateIsMirroredAtScrapeTimeAndGoneSeriesAreRemoved() throws {
        let (exporter, fake, _) = try self.exporter()
        fake.resilience.withLockedValue {
            $0.breakers = [
                .init(provider: "a", model: "m1", state: 2), .init(provider: "b", model: "m2", state: 1),
            ]
            $0.statuses = [("a", .unhealthy), ("b", .rateLimited)]
            $0.windows = [.init(provider: "a", window: "rpm", ratio: 0.5)]
        }
        var metrics = Exposition(exporter.exposition())
        #expect(metrics.sum("junction_breaker_state", ["provider": "a", "model": "m1"]) == 2)
        #expect(metrics.sum("junction_breaker_state", ["provider": "b", "model": "m2"]) == 1)
        #expect(metrics.matching("junction_provider_status", ["provider": "a"]).count == 6)
        #expect(
            metrics.matching("junction_provider_status", ["provider": "a"]).filter { $0.value == 1 }.map {
                $0.labels["status"]
            } == ["unhealthy"])
        #expect(metrics.sum("junction_provider_status", ["provider": "b", "status": "rate_limited"]) == 1)
        #expect(
            metrics.values(of: "status", in: "junction_provider_status") == [
                "healthy", "degraded", "unhealthy", "rate_limited", "disabled", "no_data",
            ])
        #expect(metrics.sum("junction_rate_window_used_ratio", ["provider": "a", "window": "rpm"]) == 0.5)
        #expect(metrics.sum("junction_inflight_requests") == 2)
        #expect(metrics.sum("junction_connections") == 3)
        #expect(metrics.sum("junction_build_info", ["version": "9.9.9"]) == 1)
        // A target forgotten and a window no longer limited leave the exposition.
        fake.resilience.withLockedValue {
            $0.breakers = [.init(provider: "a", model: "m1", state: 0)]
            $0.windows = []
        }
        metrics = Exposition(exporter.exposition())
        #expect(metrics.matching("junction_breaker_state").map(\.labels) == [["provider": "a", "model": "m1"]])
        #expect(metrics.sum("junction_breaker_state") == 0)
        #expect(metrics.matching("junction_rate_window_used_ratio").isEmpty)
    }

    @Test func targetsFoldedIntoOtherShowTheirWorstBreaker() throws {
        let (exporter, fake, _) = try self.exporter("[metrics]\nmax_models = 0\n")
        fake.resilience.withLockedValue {
            $0.breakers = [
                .init(provider: "a", model: "x1", state: 0), .init(provider: "a", model: "x2", state: 2),
                .init(provider: "a", model: "m1", state: 1),
            ]
        }
        let metrics = Exposition(exporter.exposition())
        #expect(metrics.sum("junction_breaker_state", ["provider": "a", "model": "other"]) == 2)
        #expect(metrics.sum("junction_breaker_state", ["provider": "a", "model": "m1"]) == 1)
    }

    @Test func budgetsShowTheMostUsedLimitOfEachPeriod() {
        func limit(_ limit: Int, used: Int) -> BudgetLimitStatus {
            BudgetLimitStatus(limit: limit, used: used, reserved: 0, resetsAt: 1)
        }
        let ratios = MetricsExporter.budgetRatios(
            budget: "team",
            periods: [
                ("day", [limit(1_000_000, used: 200_000), limit(1_000, used: 850), nil]),
                ("month", [limit(10_000_000, used: 1_000_000)]), ("minute", [nil]),
            ]
        )
        #expect(ratios == [["team", "day"]: 0.85, ["team", "month"]: 0.1])
    }

    @Test func mirroredCountersNeverGoDown() throws {
        let (exporter, fake, _) = try self.exporter()
        fake.cache.withLockedValue {
            $0.hits = 4
            $0.misses = 6
            $0.coalescedJoins = 1
        }
        fake.dropped.withLockedValue { $0 = 2 }
        var metrics = Exposition(exporter.exposition())
        #expect(metrics.sum("junction_cache_requests_total", ["result": "hit"]) == 4)
        #expect(metrics.sum("junction_cache_requests_total", ["result": "miss"]) == 6)
        #expect(metrics.sum("junction_cache_requests_total", ["result": "coalesced"]) == 1)
        #expect(metrics.sum("junction_cache_requests_total", ["result": "stale"]) == 0)
        #expect(metrics.sum("junction_ledger_rows_dropped_total") == 2)
        // The cache moves a coalesced join's miss over to the joins: the miss count steps back by one.
        fake.cache.withLockedValue { $0.misses = 5 }
        metrics = Exposition(exporter.exposition())
        #expect(metrics.sum("junction_cache_requests_total", ["result": "miss"]) == 6)
        fake.cache.withLockedValue { $0.misses = 9 }
        #expect(Exposition(exporter.exposition()).sum("junction_cache_requests_total", ["result": "miss"]) == 9)
    }

    @Test func processMetricsComeFromProc() throws {
        let (exporter, _, _) = try self.exporter()
        let metrics = Exposition(exporter.exposition())
        #expect(metrics.sum("process_resident_memory_bytes") > 1_000_000)
        #expect(metrics.sum("process_virtual_memory_bytes") >= metrics.sum("process_resident_memory_bytes"))
        #expect(metrics.sum("process_open_fds") >= 3)
        #expect(metrics.sum("process_max_fds") >= metrics.sum("process_open_fds"))
        let now = Date().timeIntervalSince1970
        let started = metrics.sum("process_start_time_seconds")
        #expect(started > now - 86_400 && started <= now + 1)
        #expect(metrics.matching("process_cpu_seconds_total").count == 1)
        // Fields counted from the last parenthesis: a command name may hold spaces and parentheses.
        let stat = "4242 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 250 50 13 14 15 16 17 18 1000 8192 300 x"
        let sample = ProcessSample.parse(
            stat: stat, statm: "2048 512 100 1 0 50 0\n", bootTime: 1_700_000_000, ticksPerSecond: 100,
            pageSize: 4096, openFDs: 7, maxFDs: 1024
        )
        #expect(
            sample
                == ProcessSample(
                    residentBytes: 512 * 4096, virtualBytes: 2048 * 4096, cpuSeconds: 3, openFDs: 7, maxFDs: 1024,
                    startTimeSeconds: 1_700_000_010
                ))
        #expect(ProcessSample.bootTime("cpu 1 2 3\nbtime 1700000000\nprocesses 5\n") == 1_700_000_000)
        #expect(
            ProcessSample.parse(
                stat: "garbage", statm: "", bootTime: 0, ticksPerSecond: 100, pageSize: 1,
                openFDs: 0, maxFDs: 0) == nil)
    }

    @Test func disabledMetricsExposeOnlyAComment() throws {
        let (exporter, _, _) = try self.exporter("[metrics]\nenabled = false\n")
        #expect(!exporter.isEnabled)
        #expect(exporter.exposition() == "# junctiond: metrics are disabled ([metrics] enabled = false)\n")
    }

    @Test func promtoolAcceptsTheExposition() throws {
        guard let promtool = Promtool.path else {
            print("skipped: promtool not found (Debian package prometheus; make deps installs it)")
            return
        }
        let (exporter, fake, fixture) = try self.exporter()
        let attempts = [
            MetricsFixture.attempt("a:m1", reason: "http_503"),
            MetricsFixture.attempt("b:m2", usage: Usage(promptTokens: 3, completionTokens: 4), costMicroUSD: 10),
        ]
        fixture.report(
            fixture.request(
                route: "main", stream: true, attempts: attempts,
                result: fixture.answered("b:m2", attempts: attempts, ttft: .milliseconds(30)))
        )
        fixture.recorder.recordFeedback(provider: "b", model: "m2", score: 0.8)
        fake.resilience.withLockedValue {
            $0.breakers = [.init(provider: "a", model: "m1", state: 2)]
            $0.statuses = [("a", .unhealthy)]
        }
        let text = exporter.exposition()
        let check = try Promtool.checkMetrics(text, promtool: promtool)
        #expect(check.status == 0, "promtool: \(check.stdout)\(check.stderr)\n\(text)")
        #expect(check.stdout.isEmpty && check.stderr.isEmpty, "lint: \(check.stdout)\(check.stderr)")
        // Every metric in the catalog that this traffic touches is in the text, with HELP and the catalog's type.
        let metrics = Exposition(text)
        for metric in MetricsCatalog.all
        where metric.name != MetricsCatalog.budgetUsed.name
            && metric.name != MetricsCatalog.rateWindowUsed.name && metric.name != MetricsCatalog.retries.name
        {
            #expect(metrics.types[metric.name] == metric.kind.rawValue, "\(metric.name)")
            #expect(metrics.help[metric.name] == metric.help, "\(metric.name)")
        }
    }
}
