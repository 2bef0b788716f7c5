#if canImport(Glibc)
import Glibc
#endif
import JunctionCore

/// The metrics' own costs, measured in-process without the noise of a whole request (run by
/// `scripts/metrics-bench` from `scripts/bench-metrics.sh`; BENCHMARKS.md has the figures): the CPU the recorder
/// spends per request (one attempt and one request outcome, billed, with cost) from many tasks at once, and how
/// long the exporter takes to render the exposition of a daemon with many targets.
public enum MetricsThroughput {
    public struct Recording: Sendable {
        public var requests: Int
        /// Process CPU (user + system) per request, in nanoseconds, metrics on and `enabled = false`.
        public var onNanoseconds: Double
        public var offNanoseconds: Double
    }

    public struct Scrape: Sendable {
        public var bytes: Int
        public var series: Int
        /// Milliseconds per `exposition()`, sorted.
        public var milliseconds: [Double]
    }

    /// Reports `requests` outcome pairs spread over `targets` targets from `concurrency` tasks, with metrics on
    /// and off, alternating `rounds` times; the medians of the rounds.
    public static func recording(requests: Int, concurrency: Int, targets: Int, rounds: Int) async -> Recording {
        var on: [Double] = []
        var off: [Double] = []
        for _ in 0..<rounds {
            for enabled in [false, true] {
                let recorder = MetricsRecorder(configuration: Self.configuration(targets: targets, enabled: enabled))
                let perRequest = await Self.feed(recorder, requests: requests, concurrency: concurrency, targets: targets)
                if enabled { on.append(perRequest) } else { off.append(perRequest) }
            }
        }
        return Recording(requests: requests, onNanoseconds: Self.median(on), offNanoseconds: Self.median(off))
    }

    /// Renders the exposition of a recorder whose `targets` targets each served requests, `scrapes` times.
    public static func scrape(targets: Int, scrapes: Int) async -> Scrape {
        let recorder = MetricsRecorder(configuration: Self.configuration(targets: targets, enabled: true))
        _ = await Self.feed(recorder, requests: targets * 50, concurrency: 4, targets: targets)
        let resilience = Resilience.MetricsState(
            breakers: (0..<targets).map { .init(provider: "bench", model: "model-\($0)", state: 0) },
            statuses: [("bench", .healthy)], windows: [.init(provider: "bench", window: "rpm", ratio: 0.5)]
        )
        let exporter = MetricsExporter(
            recorder: recorder,
            sources: MetricsExporter.Sources(
                resilience: { resilience }, budgets: { [] },
                cache: {
                    ResponseCache.Stats(
                        enabled: true, entries: 0, bytes: 0, maxBytes: 0, hits: 1, misses: 2, staleServes: 0,
                        coalescedJoins: 0, evictions: 0, stores: 0, savedMicroUSD: 0, savedUnknown: 0
                    )
                },
                live: { LiveCounters(connections: 8, inflight: 1, eventSubscribers: 0) }, ledgerDroppedRows: { 0 }
            )
        )
        var text = exporter.exposition()
        var times: [Double] = []
        for _ in 0..<scrapes {
            let start = ContinuousClock.now
            text = exporter.exposition()
            times.append(Double((ContinuousClock.now - start).nanoseconds) / 1e6)
        }
        let series = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
        return Scrape(bytes: text.utf8.count, series: series, milliseconds: times.sorted())
    }

    // MARK: - Internals

    private static func configuration(targets: Int, enabled: Bool) -> @Sendable () -> ActiveConfiguration {
        var text = "[providers.bench]\nkind = \"openai-compatible\"\nbase_url = \"http://127.0.0.1:9/v1\"\n"
        for index in 0..<targets { text += "[[providers.bench.models]]\nid = \"model-\(index)\"\n" }
        text += "[metrics]\nenabled = \(enabled)\n"
        // The text is built here and valid: a failure is a bug of this benchmark.
        let loaded = try! ConfigLoader.parse(text: text, file: "bench.toml")
        let active = ActiveConfiguration(loaded: loaded, environment: [:])
        return { active }
    }

    /// The process CPU per outcome pair, in nanoseconds.
    private static func feed(_ recorder: MetricsRecorder, requests: Int, concurrency: Int, targets: Int) async -> Double {
        let outcomes = (0..<targets).map { Self.outcomes(target: TargetRef(provider: "bench", model: "model-\($0)")) }
        let before = Self.cpuNanoseconds()
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<concurrency {
                group.addTask {
                    var index = task
                    while index < requests {
                        let (attempt, request) = outcomes[index % outcomes.count]
                        recorder.attemptFinished(attempt)
                        recorder.requestFinished(request)
                        index += concurrency
                    }
                }
            }
        }
        return Double(Self.cpuNanoseconds() - before) / Double(requests)
    }

    /// A billed, priced, unary answer in one attempt: the common request.
    private static func outcomes(target: TargetRef) -> (AttemptOutcome, RequestOutcome) {
        let started = ContinuousClock.now
        var record = AttemptRecord(target: target, latency: .milliseconds(120), status: 200)
        var charge = AttemptCharge(
            billed: BilledUsage(usage: Usage(promptTokens: 40, completionTokens: 12, cachedTokens: 8), estimated: false),
            price: nil
        )
        charge.cost = CostBreakdown(input: 30, cachedInput: 2, output: 40)
        record.charge = charge
        let attempt = AttemptOutcome(
            target: target, number: 1, wait: .zero, started: started, ended: started + .milliseconds(120),
            estimatedTokens: 52, probes: [],
            result: .answered(
                AttemptOutcome.Answer(
                    status: 200, latency: .milliseconds(120), totalTokens: 52, rateLimits: RateLimitSnapshot()
                )
            )
        )
        var chat = ChatRequest(messages: [ChatMessage(role: .user, content: "hi")])
        chat.model = target.description
        let result = GenerateResult(
            requestID: "bench", completion: Completion(text: "ok", finishReason: .stop, model: target.model),
            usage: charge.billed.usage, usageEstimated: false, target: target, latency: .milliseconds(120), ttft: nil,
            rateLimits: RateLimitSnapshot(), attempts: [record], skipped: []
        )
        let request = RequestOutcome(
            requestID: "bench", request: GenerateRequest(chat: chat), wallStart: 0, promptSHA256: "",
            started: started, ended: started + .milliseconds(125), attempts: [record],
            cost: RequestCost(attempts: [record]), reservation: nil, result: .answered(result)
        )
        return (attempt, request)
    }

    private static func cpuNanoseconds() -> Int64 {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        func nanoseconds(_ time: timeval) -> Int64 { Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_usec) * 1_000 }
        return nanoseconds(usage.ru_utime) + nanoseconds(usage.ru_stime)
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}

extension Duration {
    fileprivate var nanoseconds: Int64 {
        self.components.seconds * 1_000_000_000 + self.components.attoseconds / 1_000_000_000
    }
}
