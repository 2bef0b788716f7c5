import Dispatch
import GRDB

/// The ledger's SQLite database: one row per request in `requests`, one per billed attempt in `attempts`.
///
/// WAL mode with `synchronous = NORMAL`: a committed transaction survives the daemon being killed (only a power
/// loss can take the last ones back), and readers (usage queries) never wait for the writer. Every access runs on
/// GRDB's own dispatch queues and is awaited, so no SQLite call ever runs on an event loop.
final class LedgerStore: Sendable {
    /// Why the database could not be opened or used; `description` says what and where, never a secret (the
    /// ledger holds none).
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let path: String
    let pool: DatabasePool

    /// Opens (creating when missing) the database at `path` and brings its schema up to date.
    /// - Parameter busyTimeout: how long a write waits for another process holding the database locked.
    init(path: String, busyTimeout: Duration = .seconds(1)) throws(Failure) {
        self.path = path
        do {
            try LedgerFiles.prepare(path: path)
        } catch {
            throw Failure(description: error.description)
        }
        var configuration = Configuration()
        configuration.label = "junction.ledger"
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(Double(busyTimeout.milliseconds) / 1_000)
        configuration.maximumReaderCount = 2
        // GRDB's queues default to userInitiated, for which libdispatch asks a negative nice: refused under the
        // unit's LimitNICE= (a notice per process in the journal), and not what bookkeeping should have anyway.
        configuration.qos = .utility
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            self.pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(self.pool)
        } catch {
            throw Failure(description: "cannot open \(path): \(Self.describe(error))")
        }
    }

    /// Writes the entries (requests and their attempts) in one transaction: all of them or, on error, none.
    func insert(_ entries: [LedgerEntry]) async throws {
        guard !entries.isEmpty else { return }
        try await self.pool.write { db in
            let request = try db.cachedStatement(sql: Self.insertRequestSQL)
            let attempt = try db.cachedStatement(sql: Self.insertAttemptSQL)
            for entry in entries {
                try request.execute(arguments: Self.arguments(entry.request))
                for row in entry.attempts { try attempt.execute(arguments: Self.arguments(row)) }
            }
        }
    }

    /// Writes one request and its attempts in one transaction.
    func insert(requests: [LedgerRequestRow], attempts: [LedgerAttemptRow]) async throws {
        let byRequest = Dictionary(grouping: attempts, by: \.requestID)
        try await self.insert(requests.map { LedgerEntry(request: $0, attempts: byRequest[$0.requestID] ?? []) })
    }

    /// A short reason for logs and `daemon.status`: SQLite's message and code, without the SQL.
    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return "\(error.message ?? "SQLite error") (SQLite code \(error.extendedResultCode.rawValue))"
        }
        return "\(error)"
    }

    private static let insertRequestSQL = """
        INSERT OR IGNORE INTO requests (
            request_id, time_ms, uid, gid, pid, client, route, requested_model, provider, model, attempts, outcome,
            error_code, finish_reason, stream, prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens,
            reasoning_tokens, cost_micro_usd, price_version, latency_ms, ttft_ms, prompt_sha256, cache, saved_micro_usd
        ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    private static let insertAttemptSQL = """
        INSERT OR IGNORE INTO attempts (
            request_id, number, provider, model, outcome, http_status, latency_ms, prompt_tokens, completion_tokens,
            cached_tokens, cache_write_tokens, reasoning_tokens, cost_micro_usd
        ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    private static func arguments(_ row: LedgerRequestRow) -> StatementArguments {
        [
            row.requestID, row.timeMs, row.uid, row.gid, row.pid, row.client, row.route, row.requestedModel,
            row.provider, row.model, row.attempts, row.outcome, row.errorCode, row.finishReason, row.stream,
            row.promptTokens, row.completionTokens, row.cachedTokens, row.cacheWriteTokens, row.reasoningTokens,
            row.costMicroUSD, row.priceVersion, row.latencyMs, row.ttftMs, row.promptSHA256, row.cache,
            row.savedMicroUSD,
        ]
    }

    private static func arguments(_ row: LedgerAttemptRow) -> StatementArguments {
        [
            row.requestID, row.number, row.provider, row.model, row.outcome, row.httpStatus, row.latencyMs,
            row.promptTokens, row.completionTokens, row.cachedTokens, row.cacheWriteTokens, row.reasoningTokens,
            row.costMicroUSD,
        ]
    }
}
