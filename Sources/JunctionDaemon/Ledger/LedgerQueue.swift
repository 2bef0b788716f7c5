/// The writer's queue and counters, held under the writer's lock: entries waiting to be written, the batch being
/// written, and what happened to the rows so far. Every operation is short: the request path only appends.
struct LedgerQueue {
    let capacity: Int
    private(set) var pending: [LedgerEntry] = []
    /// Entries taken for the transaction under way; they still count against the capacity, and a rating looks them
    /// up until they are in the database.
    private(set) var inFlightEntries: [LedgerEntry] = []
    private(set) var writtenRows = 0
    private(set) var droppedRows = 0
    /// Drops since the last report, by reason, in the order the reasons first occurred.
    private(set) var unreportedDrops: [(reason: String, count: Int)] = []
    /// The last write failed and nothing succeeded since.
    private(set) var failing = false
    private(set) var lastError: String?
    private(set) var lastFlush: ContinuousClock.Instant?
    /// After the final flush at shutdown: later rows are dropped.
    private(set) var closed = false
    /// The writer's sleep between flushes, cancelled to wake it early.
    var sleeper: Task<Void, Never>?

    init(capacity: Int) {
        self.capacity = capacity
    }

    var inFlight: Int { self.inFlightEntries.count }
    var queued: Int { self.pending.count + self.inFlight }

    /// The queued or in-flight entry of a request, newest first (a rating of a request just answered).
    func entry(of requestID: String) -> LedgerEntry? {
        if let entry = self.pending.last(where: { $0.request.requestID == requestID }) { return entry }
        return self.inFlightEntries.last { $0.request.requestID == requestID }
    }

    /// Appends `entry` when there is room; otherwise counts it dropped. Returns whether it was queued.
    mutating func enqueue(_ entry: LedgerEntry) -> Bool {
        if self.closed {
            self.drop(1, reason: "recorded after the ledger closed")
            return false
        }
        guard self.queued < self.capacity else {
            let reason =
                self.failing ? "queue full while writes fail: \(self.lastError ?? "unknown error")" : "queue full"
            self.drop(1, reason: reason)
            return false
        }
        self.pending.append(entry)
        return true
    }

    /// Takes up to `limit` of the oldest entries for a transaction.
    mutating func take(_ limit: Int) -> [LedgerEntry] {
        let count = min(limit, self.pending.count)
        let batch = Array(self.pending.prefix(count))
        self.pending.removeFirst(count)
        self.inFlightEntries += batch
        return batch
    }

    /// The batch taken last is in the database.
    mutating func written(_ batch: [LedgerEntry], at now: ContinuousClock.Instant) {
        self.settle(batch)
        self.writtenRows += batch.count
        self.failing = false
        self.lastFlush = now
    }

    /// Writing the batch failed with an error worth retrying: it goes back to the front of the queue (it was
    /// counted in the capacity all along, so it always fits).
    mutating func retry(_ batch: [LedgerEntry], error: String) {
        self.settle(batch)
        self.pending.insert(contentsOf: batch, at: 0)
        self.failing = true
        self.lastError = error
    }

    /// Writing the batch failed for good (the rows themselves are refused, or the daemon is stopping).
    mutating func discard(_ batch: [LedgerEntry], error: String) {
        self.settle(batch)
        self.failing = true
        self.lastError = error
        self.drop(batch.count, reason: error)
    }

    /// Drops everything still queued and refuses what comes after (the end of shutdown).
    mutating func close(reason: String) {
        let remaining = self.take(self.pending.count)
        if !remaining.isEmpty { self.discard(remaining, error: reason) }
        self.closed = true
    }

    /// Hands the drops since the last call to the caller, for its report.
    mutating func takeUnreportedDrops() -> [(reason: String, count: Int)] {
        defer { self.unreportedDrops = [] }
        return self.unreportedDrops
    }

    /// The batch's transaction is over: its entries leave the in-flight list (batches are taken and finished in
    /// order, so they are its first entries).
    private mutating func settle(_ batch: [LedgerEntry]) {
        self.inFlightEntries.removeFirst(min(batch.count, self.inFlightEntries.count))
    }

    private mutating func drop(_ count: Int, reason: String) {
        self.droppedRows += count
        if let index = self.unreportedDrops.firstIndex(where: { $0.reason == reason }) {
            self.unreportedDrops[index].count += count
        } else {
            self.unreportedDrops.append((reason, count))
        }
    }
}
