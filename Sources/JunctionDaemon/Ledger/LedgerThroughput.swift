#if canImport(Glibc)
import Glibc
#endif
import Logging
import ServiceLifecycle

/// Measures what the ledger costs: the real writer on a real file, fed at a steady rate from several tasks as
/// finished requests would feed it (`scripts/bench-ledger.sh` runs it through `ledger-bench`).
public enum LedgerThroughput {
    /// One run at one offered rate.
    public struct Run: Sendable {
        public var offeredPerSecond: Int
        public var recorded: Int
        public var written: Int
        public var dropped: Int
        /// The longest queue seen by the producer (sampled every tick).
        public var maxQueued: Int
        public var seconds: Double
        /// Mean time of one `record` call on the producing side, building its row included, nanoseconds.
        public var recordNanoseconds: Double
        public var databaseBytes: Int

        public var description: String {
            let rate = Double(self.written) / self.seconds
            return "offered \(self.offeredPerSecond)/s: recorded \(self.recorded), written \(self.written) "
                + "(\(Int(rate))/s), dropped \(self.dropped), max queued \(self.maxQueued), "
                + "record() \(Int(self.recordNanoseconds)) ns, \(self.databaseBytes / max(self.written, 1)) bytes/row"
        }
    }

    /// Records `perSecond` rows (each with one attempt) for `seconds` into a fresh ledger at `path`, with the
    /// daemon's default writer settings (and `queueCapacity`), then shuts the writer down and counts.
    public static func run(path: String, perSecond: Int, seconds: Double, queueCapacity: Int) async throws -> Run {
        for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
        let store = try LedgerStore(path: path)
        var settings = LedgerWriter.Settings()
        settings.queueCapacity = queueCapacity
        let writer = LedgerWriter(store: store, path: path, settings: settings, logger: Logger(label: "ledger-bench"))
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [.init(service: writer)], logger: Logger(label: "bench"))
        )
        let started = ContinuousClock.now
        var recorded = 0
        var maxQueued = 0
        var recordTime = Duration.zero
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Ticks of 10 ms, each recording what the rate owes by then (so that a late tick catches up).
            let total = Int(Double(perSecond) * seconds)
            var tick = started
            while recorded < total {
                tick += .milliseconds(10)
                try await Task.sleep(until: tick, clock: .continuous)
                let due = min(total, Int(Double(perSecond) * (ContinuousClock.now - started).seconds))
                let before = ContinuousClock.now
                let time = LedgerWriter.wallClockMilliseconds()
                while recorded < due {
                    writer.record(Self.row(recorded, time: time), attempts: [Self.attempt(recorded)])
                    recorded += 1
                }
                recordTime += ContinuousClock.now - before
                maxQueued = max(maxQueued, writer.status.queued)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let elapsed = (ContinuousClock.now - started).seconds
        let status = writer.status
        var size = 0
        for suffix in ["", "-wal"] {
            var info = stat()
            if stat(path + suffix, &info) == 0 { size += Int(info.st_size) }
        }
        return Run(
            offeredPerSecond: perSecond, recorded: recorded, written: status.writtenRows, dropped: status.droppedRows,
            maxQueued: maxQueued, seconds: elapsed,
            recordNanoseconds: Double(recordTime.nanoseconds) / Double(max(recorded, 1)), databaseBytes: size
        )
    }

    private static func row(_ index: Int, time: Int64) -> LedgerRequestRow {
        LedgerRequestRow(
            requestID: "01JDBENCH\(index)", timeMs: time, uid: 1000 + UInt32(index % 7), gid: 1000, pid: 4242,
            client: ["editor", "ci", "notebook"][index % 3], route: index % 4 == 0 ? "cheap" : nil,
            requestedModel: "gpt-4o-mini", provider: index % 5 == 0 ? "anthropic" : "openai",
            model: index % 5 == 0 ? "claude-3-5-haiku-latest" : "gpt-4o-mini", attempts: 1, outcome: "ok",
            errorCode: nil, finishReason: "stop", stream: index % 2 == 0, promptTokens: 1_200 + index % 500,
            completionTokens: 300, cachedTokens: 512, cacheWriteTokens: 0, reasoningTokens: 0, costMicroUSD: 378,
            priceVersion: "builtin-2026-11", latencyMs: 840, ttftMs: 210,
            promptSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        )
    }

    private static func attempt(_ index: Int) -> LedgerAttemptRow {
        LedgerAttemptRow(
            requestID: "01JDBENCH\(index)", number: 1, provider: index % 5 == 0 ? "anthropic" : "openai",
            model: index % 5 == 0 ? "claude-3-5-haiku-latest" : "gpt-4o-mini", outcome: "ok", httpStatus: 200,
            latencyMs: 830, promptTokens: 1_200, completionTokens: 300, cachedTokens: 512, cacheWriteTokens: 0,
            reasoningTokens: 0, costMicroUSD: 378
        )
    }
}

extension Duration {
    fileprivate var seconds: Double {
        let (seconds, attoseconds) = self.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    fileprivate var nanoseconds: Int64 {
        let (seconds, attoseconds) = self.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
