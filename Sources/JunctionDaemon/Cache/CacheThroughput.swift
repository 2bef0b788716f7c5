#if canImport(Glibc)
import Glibc
#endif
import JunctionCore
import JunctionProviders
import Logging
import NIOCore
import NIOPosix

/// The response cache's cost on a miss, measured in-process through the whole gateway (run by `scripts/cache-bench`
/// from `scripts/bench-cache.sh`; BENCHMARKS.md has the figures): `concurrency` tasks send unique cacheable
/// requests (temperature 0, a prompt of their own each) to an upstream that answers at once in memory, with the
/// cache off, on without coalescing (key, lookup and store), and on (with the flight each miss leads). Without the
/// socket, libcurl, the simulator and the load generator on the same two cores, the difference is not buried in
/// their noise. As in the daemon, the requests run on event loops (one per core), and the cache is small enough
/// (16 MiB) to be full after the warm-up, so that every store also evicts.
public enum CacheThroughput {
    public enum Mode: String, CaseIterable, Sendable {
        case off
        /// Key, lookup and store; no flight.
        case noCoalescing = "on-no-coalescing"
        case on
    }

    public struct Measurement: Sendable {
        public var mode: Mode
        /// Process CPU (user + system) per request, in nanoseconds: the median of the rounds, and every round.
        public var medianNanoseconds: Double
        public var rounds: [Double]
        /// Entries stored in the last round (each miss stores one): shows the cache did its work.
        public var stored: Int
    }

    /// `requests` unique requests from `concurrency` tasks per mode, the modes alternated `rounds` times.
    public static func misses(requests: Int, concurrency: Int, rounds: Int) async -> [Measurement] {
        var perMode: [Mode: [Double]] = [:]
        var stored: [Mode: Int] = [:]
        // One warm-up of each mode (first-touch page faults, lazily built tables), not counted.
        for mode in Mode.allCases {
            _ = await Self.run(mode, requests: requests / 10, concurrency: concurrency, round: -1)
        }
        for round in 0..<rounds {
            for mode in Mode.allCases {
                let (perRequest, entries) = await Self.run(
                    mode, requests: requests, concurrency: concurrency, round: round
                )
                perMode[mode, default: []].append(perRequest)
                stored[mode] = entries
            }
        }
        return Mode.allCases.map { mode in
            let values = perMode[mode] ?? []
            return Measurement(
                mode: mode, medianNanoseconds: Self.median(values), rounds: values, stored: stored[mode] ?? 0
            )
        }
    }

    // MARK: - Internals

    /// A fresh gateway in `mode`; the process CPU per request and the entries stored.
    private static func run(_ mode: Mode, requests: Int, concurrency: Int, round: Int) async -> (Double, Int) {
        let active = Self.configuration(mode)
        var logger = Logger(label: "cache-bench")
        logger.logLevel = .error
        let resilience = Resilience(events: EventBus(), logger: logger)
        resilience.configure(active, reloaded: false, at: ContinuousClock.now)
        let cache = ResponseCache(configuration: { active.loaded.config.cache })
        let gateway = Gateway(
            configuration: { active }, executor: InstantUpstream(), resilience: resilience,
            reporter: OutcomeReporter(resilience: resilience, subscribers: [cache]), cache: cache,
            logger: logger
        )
        // As in the daemon: each connection's requests run on its event loop, and so do the flights they lead.
        let executors = (0..<System.coreCount).map { _ in
            EventLoopTaskExecutor(eventLoop: Self.loops.next())
        }
        let before = Self.cpuNanoseconds()
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<concurrency {
                let executor = executors[task % executors.count]
                group.addTask(executorPreference: executor) {
                    var index = task
                    while index < requests {
                        var chat = ChatRequest(
                            messages: [ChatMessage(role: .user, content: "bench round \(round) request \(index)")]
                        )
                        chat.model = "bench:bench-model"
                        chat.temperature = 0
                        chat.maxTokens = 64
                        // The upstream never fails: an error here is a bug of this benchmark.
                        _ = try! await gateway.generate(GenerateRequest(chat: chat, executor: executor), events: nil)
                        index += concurrency
                    }
                }
            }
        }
        let perRequest = Double(Self.cpuNanoseconds() - before) / Double(requests)
        return (perRequest, cache.stats.entries)
    }

    /// The daemon's event loops: one per core.
    private static let loops = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)

    private static func configuration(_ mode: Mode) -> ActiveConfiguration {
        var text = """
            [providers.bench]
            kind = "openai-compatible"
            base_url = "http://127.0.0.1:9/v1"
            [[providers.bench.models]]
            id = "bench-model"
            [cache]
            max_bytes = 16777216

            """
        switch mode {
        case .off: text += "enabled = false\n"
        case .noCoalescing: text += "enabled = true\ncoalesce = false\n"
        case .on: text += "enabled = true\n"
        }
        // The text is built here and valid: a failure is a bug of this benchmark.
        let loaded = try! ConfigLoader.parse(text: text, file: "cache-bench.toml")
        return ActiveConfiguration(loaded: loaded, environment: [:])
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    private static func cpuNanoseconds() -> Int64 {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        let user = Int64(usage.ru_utime.tv_sec) * 1_000_000_000 + Int64(usage.ru_utime.tv_usec) * 1000
        let system = Int64(usage.ru_stime.tv_sec) * 1_000_000_000 + Int64(usage.ru_stime.tv_usec) * 1000
        return user + system
    }
}

/// An upstream in memory that answers every request at once with one OpenAI chat completion.
private struct InstantUpstream: HTTPExecutor {
    private static let body = Array(
        """
        {"id":"c1","object":"chat.completion","model":"bench-model","choices":[{"index":0,"message":\
        {"role":"assistant","content":"A short answer from the instant upstream."},"finish_reason":"stop"}],\
        "usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21}}
        """.utf8
    )

    func send(_ request: HTTPRequest) -> HTTPResponse {
        HTTPResponse(source: InstantAnswer(body: Self.body))
    }
}

/// The head, then the whole body, then the end; no suspension.
private final class InstantAnswer: HTTPResponseSource, @unchecked Sendable {
    // One task reads a response, in order: no lock needed for its position.
    private var position = 0
    private let body: [UInt8]

    init(body: [UInt8]) {
        self.body = body
    }

    func markFirstToken() {}

    func next() async throws -> HTTPResponseStream.Element? {
        defer { self.position += 1 }
        switch self.position {
        case 0: return .head(HTTPResponseHead(status: 200, headers: ["content-type": "application/json"]))
        case 1: return .body(self.body)
        default: return nil
        }
    }
}
