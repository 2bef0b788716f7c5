#if canImport(Glibc)
import Glibc
#endif
import GRDB
import JunctionCore
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// The ledger's single writer: requests hand it their rows with `record`, which never waits (a bounded queue
/// under a short-held lock), and its `run` writes them in batches, one transaction each, at least every
/// `flushInterval` and at once when a batch is full.
///
/// A failing database (disk full, locked by another process, I/O errors) never holds up a request: the writer
/// keeps the rows it has room for and retries on its next turn, counts the ones it had to drop, and reports them
/// at most once per `dropReportInterval`. At graceful shutdown it writes everything queued before returning; it
/// stands before the RPC server in the service group, so the server has drained by then.
final class LedgerWriter: Service, Sendable {
    struct Settings: Sendable {
        var queueCapacity = LedgerConfig().queueCapacity
        var flushInterval: Duration = .milliseconds(250)
        /// The most entries per transaction; a queue this long is written without waiting for the interval.
        var batchSize = 1_000
        var retain = LedgerConfig().retain
        var pruneInterval: Duration = .seconds(86_400)
        /// Requests deleted per retention transaction (new rows wait for one chunk at most).
        var pruneChunk = 5_000
        var dropReportInterval: Duration = .seconds(60)
        /// How long the final flush keeps retrying a failing database before it gives the rows up.
        var shutdownGrace: Duration = .seconds(2)

        init(config: LedgerConfig = LedgerConfig()) {
            self.queueCapacity = config.queueCapacity
            self.retain = config.retain
        }
    }

    /// The database; nil when the ledger is disabled or could not be opened.
    let store: LedgerStore?
    let path: String?
    /// Why there is no store: nil when disabled or open.
    let unavailableReason: String?
    private let settings: Settings
    let queue: NIOLockedValueBox<LedgerQueue>
    private let logger: Logger
    /// UTC milliseconds now (retention's cutoff).
    private let wallClock: @Sendable () -> Int64

    init(
        store: LedgerStore?,
        path: String?,
        unavailableReason: String? = nil,
        settings: Settings,
        logger: Logger,
        wallClock: @escaping @Sendable () -> Int64 = LedgerWriter.wallClockMilliseconds
    ) {
        self.store = store
        self.path = path
        self.unavailableReason = store == nil ? unavailableReason : nil
        self.settings = settings
        self.queue = NIOLockedValueBox(LedgerQueue(capacity: settings.queueCapacity))
        self.logger = logger
        self.wallClock = wallClock
    }

    /// The writer for `config`: its database opened (created when missing), or, when that fails, a writer that
    /// records nothing and says why (the daemon serves requests either way).
    static func open(
        config: LedgerConfig,
        environment: [String: String],
        uid: UInt32,
        logger: Logger
    ) -> LedgerWriter {
        let settings = Settings(config: config)
        guard config.enabled else {
            logger.info("ledger disabled ([ledger] enabled = false): requests and their cost are not recorded")
            return LedgerWriter(store: nil, path: nil, settings: settings, logger: logger)
        }
        let path = LedgerLocation.resolve(configured: config.path, environment: environment, uid: uid)
        do {
            let store = try LedgerStore(path: path)
            logger.info("ledger open", metadata: ["path": "\(path)"])
            return LedgerWriter(store: store, path: path, settings: settings, logger: logger)
        } catch {
            logger.error(
                "ledger unavailable: requests are answered but not recorded until the daemon restarts",
                metadata: ["path": "\(path)", "reason": "\(error.description)"]
            )
            return LedgerWriter(
                store: nil, path: path, unavailableReason: error.description, settings: settings, logger: logger
            )
        }
    }

    /// Whether rows are written (the ledger is enabled and its database open).
    var records: Bool { self.store != nil }

    /// Queues a finished request's rows. Never waits: when the queue is full the rows are dropped and counted.
    func record(_ request: LedgerRequestRow, attempts: [LedgerAttemptRow]) {
        guard self.records else { return }
        let entry = LedgerEntry(request: request, attempts: attempts)
        let batchSize = self.settings.batchSize
        let sleeper = self.queue.withLockedValue { queue -> Task<Void, Never>? in
            guard queue.enqueue(entry), queue.pending.count >= batchSize else { return nil }
            defer { queue.sleeper = nil }
            return queue.sleeper
        }
        sleeper?.cancel()
    }

    var status: LedgerStatus {
        guard self.store != nil else {
            let unavailable = self.unavailableReason != nil
            return LedgerStatus(
                enabled: unavailable, path: self.path, state: unavailable ? .unavailable : .disabled, queued: 0,
                writtenRows: 0, droppedRows: 0, lastError: self.unavailableReason, lastFlushMsAgo: nil
            )
        }
        let now = ContinuousClock.now
        return self.queue.withLockedValue { queue in
            LedgerStatus(
                enabled: true, path: self.path, state: queue.failing ? .failing : .ok, queued: queue.queued,
                writtenRows: queue.writtenRows, droppedRows: queue.droppedRows, lastError: queue.lastError,
                lastFlushMsAgo: queue.lastFlush.map { (now - $0).milliseconds }
            )
        }
    }

    func run() async throws {
        guard let store = self.store else {
            // Nothing to write; stay in the group until it stops.
            try? await gracefulShutdown()
            return
        }
        var drops = OncePerInterval(interval: self.settings.dropReportInterval)
        var failures = FailureReports(limiter: OncePerInterval(interval: self.settings.dropReportInterval))
        var nextPrune = ContinuousClock.now
        var pruneCutoff: Int64?
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            // Retention: one chunk per turn, so that rows keep being written while a large backlog is deleted.
            let now = ContinuousClock.now
            if pruneCutoff == nil, now >= nextPrune {
                pruneCutoff = self.wallClock() - self.settings.retain.milliseconds
                nextPrune = now + self.settings.pruneInterval
            }
            if let cutoff = pruneCutoff, await !self.pruneChunk(store, before: cutoff) { pruneCutoff = nil }
            await self.waitForWork(skip: pruneCutoff != nil)
            let wasFailing = self.queue.withLockedValue { $0.failing }
            await self.flush(store)
            self.reportTransitions(wasFailing: wasFailing, failures: &failures)
            self.reportDrops(&drops, force: false)
        }
        await self.finalFlush(store)
        self.reportDrops(&drops, force: true)
    }

    /// Writes what is queued, batch by batch, until the queue is empty or a write fails. At most a queue's worth
    /// per turn: under a load the disk cannot keep up with, the loop still comes round to its reports.
    private func flush(_ store: LedgerStore) async {
        let batchSize = self.settings.batchSize
        for _ in 0...(self.settings.queueCapacity / batchSize) {
            let batch = self.queue.withLockedValue { $0.take(batchSize) }
            guard !batch.isEmpty else { return }
            do {
                try await store.insert(batch)
                let now = ContinuousClock.now
                self.queue.withLockedValue { $0.written(batch, at: now) }
            } catch {
                let reason = LedgerStore.describe(error)
                if Self.isWorthRetrying(error) {
                    self.queue.withLockedValue { $0.retry(batch, error: reason) }
                } else {
                    self.queue.withLockedValue { $0.discard(batch, error: "database error: \(reason)") }
                }
                return
            }
            if batch.count < batchSize { return }
        }
    }

    /// At shutdown: everything queued is written, retrying a failing database for `shutdownGrace`, then the queue
    /// closes (what could not be written is counted as dropped).
    private func finalFlush(_ store: LedgerStore) async {
        let deadline = ContinuousClock.now + self.settings.shutdownGrace
        while true {
            await self.flush(store)
            let done = self.queue.withLockedValue { $0.queued == 0 }
            // Cancelled (not a graceful stop): GRDB refuses new work, so waiting for it is pointless.
            if done || ContinuousClock.now >= deadline || Task.isCancelled { break }
            try? await Task.sleep(for: min(self.settings.flushInterval, .milliseconds(100)))
        }
        let status = self.queue.withLockedValue { queue in
            queue.close(reason: "not written before shutdown: \(queue.lastError ?? "unknown error")")
            return (written: queue.writtenRows, dropped: queue.droppedRows)
        }
        self.logger.info(
            "ledger closed", metadata: ["written_rows": "\(status.written)", "dropped_rows": "\(status.dropped)"]
        )
    }

    /// Deletes one chunk of rows older than `cutoff`; returns whether there may be more.
    private func pruneChunk(_ store: LedgerStore, before cutoff: Int64) async -> Bool {
        do {
            let deleted = try await store.pruneChunk(before: cutoff, limit: self.settings.pruneChunk)
            if deleted > 0 {
                self.logger.debug("ledger retention deleted old requests", metadata: ["requests": "\(deleted)"])
            }
            return deleted == self.settings.pruneChunk
        } catch {
            self.logger.warning(
                "ledger retention failed; trying again at the next run",
                metadata: ["reason": "\(LedgerStore.describe(error))"]
            )
            return false
        }
    }

    /// Sleeps for the flush interval, or until a full batch, graceful shutdown or cancellation wakes it.
    private func waitForWork(skip: Bool) async {
        guard !skip else { return }
        let interval = self.settings.flushInterval
        let batchSize = self.settings.batchSize
        let sleeper = Task<Void, Never> { try? await Task.sleep(for: interval) }
        let full = self.queue.withLockedValue { queue in
            queue.sleeper = sleeper
            return queue.pending.count >= batchSize
        }
        if full { sleeper.cancel() }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await sleeper.value
            } onGracefulShutdown: {
                sleeper.cancel()
            }
        } onCancel: {
            sleeper.cancel()
        }
        self.queue.withLockedValue { $0.sleeper = nil }
    }

    /// Whether a failure was announced, so that only an announced one is followed by "recovered".
    private struct FailureReports {
        var limiter: OncePerInterval
        var announced = false
    }

    /// A warning when writes start failing (at most once per interval), a notice when they recover.
    private func reportTransitions(wasFailing: Bool, failures: inout FailureReports) {
        let (failing, error) = self.queue.withLockedValue { ($0.failing, $0.lastError) }
        if failing, !wasFailing, failures.limiter.occurred(at: .now) != nil {
            failures.announced = true
            self.logger.warning(
                "ledger writes failing; requests are still answered and their rows are kept while the queue has room",
                metadata: ["reason": "\(error ?? "unknown")", "path": "\(self.path ?? "-")"]
            )
        } else if wasFailing, !failing, failures.announced {
            failures.announced = false
            self.logger.notice("ledger writes recovered", metadata: ["path": "\(self.path ?? "-")"])
        }
    }

    /// "ledger dropped N rows (reason)", at most once per interval (always when `force`).
    private func reportDrops(_ limiter: inout OncePerInterval, force: Bool) {
        let pending = self.queue.withLockedValue { $0.unreportedDrops.isEmpty }
        guard !pending else { return }
        if !force, limiter.occurred(at: .now) == nil { return }
        let drops = self.queue.withLockedValue { $0.takeUnreportedDrops() }
        let total = drops.map(\.count).reduce(0, +)
        let reasons =
            drops.count == 1 ? drops[0].reason : drops.map { "\($0.reason): \($0.count)" }.joined(separator: "; ")
        self.logger.warning("ledger dropped \(total) row\(total == 1 ? "" : "s") (\(reasons))")
    }

    /// Errors that may go away by themselves: a full disk, a lock held by another process, I/O trouble.
    static func isWorthRetrying(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return true }
        let retried: Set<Int32> = [
            ResultCode.SQLITE_FULL.rawValue, ResultCode.SQLITE_BUSY.rawValue, ResultCode.SQLITE_LOCKED.rawValue,
            ResultCode.SQLITE_IOERR.rawValue, ResultCode.SQLITE_CANTOPEN.rawValue, ResultCode.SQLITE_READONLY.rawValue,
            ResultCode.SQLITE_NOMEM.rawValue, ResultCode.SQLITE_PROTOCOL.rawValue, ResultCode.SQLITE_INTERRUPT.rawValue,
        ]
        return retried.contains(error.resultCode.rawValue)
    }

    /// UTC milliseconds since 1970.
    @Sendable static func wallClockMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
