import GRDB

/// Where an export page ended: the last request's time and row id (requests are exported in the order they were
/// written, which is the order they finished in; paging follows the row id).
/// Written as `TIME-ROWID`, an opaque string for callers.
struct LedgerExportCursor: Sendable, Equatable, CustomStringConvertible {
    var timeMs: Int64
    var rowID: Int64

    init(timeMs: Int64, rowID: Int64) {
        self.timeMs = timeMs
        self.rowID = rowID
    }

    init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let time = Int64(parts[0]), let row = Int64(parts[1]), time >= 0, row >= 0 else {
            return nil
        }
        self.timeMs = time
        self.rowID = row
    }

    var description: String { "\(self.timeMs)-\(self.rowID)" }
}

/// One page of an export: request rows in the order they were written, with their attempts, and where the next
/// page starts (nil: this was the last).
struct LedgerExportPage: Sendable, Equatable {
    var entries: [LedgerEntry]
    var next: LedgerExportCursor?
}

extension LedgerStore {
    /// Requests in `[since, until)` after `after`, at most `limit` of them, each with its attempts.
    func export(
        since: Int64,
        until: Int64,
        uid: UInt32?,
        after: LedgerExportCursor?,
        limit: Int
    ) async throws -> LedgerExportPage {
        var conditions = ["time_ms >= ?", "time_ms < ?"]
        var arguments: [DatabaseValue] = [since.databaseValue, until.databaseValue]
        if let uid {
            // `+uid`: not through the uid index, whose order would make SQLite sort the caller's whole window for
            // every page; the row id range is walked instead.
            conditions.append("+uid = ?")
            arguments.append(uid.databaseValue)
        }
        if let after {
            // By row id, which is the order rows were written in: a request that started before the cursor but
            // finished (and was written) after it still comes on a later page.
            conditions.append("id > ?")
            arguments.append(after.rowID.databaseValue)
        }
        // One more than asked: whether it exists tells if there is a next page.
        arguments.append((limit + 1).databaseValue)
        let sql = """
            SELECT id, \(Self.requestColumns) FROM requests WHERE \(conditions.joined(separator: " AND "))
            ORDER BY id LIMIT ?
            """
        let statementArguments = StatementArguments(arguments)
        return try await self.pool.read { db in
            var requests: [(rowID: Int64, row: LedgerRequestRow)] = []
            let cursor = try Row.fetchCursor(db, sql: sql, arguments: statementArguments)
            while let row = try cursor.next() {
                requests.append((row[0], Self.requestRow(row, from: 1)))
            }
            let more = requests.count > limit
            if more { requests.removeLast() }
            let attempts = try Self.attempts(of: requests.map(\.row.requestID), db)
            return LedgerExportPage(
                entries: requests.map { LedgerEntry(request: $0.row, attempts: attempts[$0.row.requestID] ?? []) },
                next: more ? requests.last.map { LedgerExportCursor(timeMs: $0.row.timeMs, rowID: $0.rowID) } : nil
            )
        }
    }

    private static let requestColumns = """
        request_id, time_ms, uid, gid, pid, client, route, requested_model, provider, model, attempts, outcome,
        error_code, finish_reason, stream, prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens,
        reasoning_tokens, cost_micro_usd, price_version, latency_ms, ttft_ms, prompt_sha256, cache, saved_micro_usd
        """

    private static func requestRow(_ row: Row, from start: Int) -> LedgerRequestRow {
        LedgerRequestRow(
            requestID: row[start],
            timeMs: row[start + 1],
            uid: row[start + 2],
            gid: row[start + 3],
            pid: row[start + 4],
            client: row[start + 5],
            route: row[start + 6],
            requestedModel: row[start + 7],
            provider: row[start + 8],
            model: row[start + 9],
            attempts: row[start + 10],
            outcome: row[start + 11],
            errorCode: row[start + 12],
            finishReason: row[start + 13],
            stream: row[start + 14],
            promptTokens: row[start + 15],
            completionTokens: row[start + 16],
            cachedTokens: row[start + 17],
            cacheWriteTokens: row[start + 18],
            reasoningTokens: row[start + 19],
            costMicroUSD: row[start + 20],
            priceVersion: row[start + 21],
            latencyMs: row[start + 22],
            ttftMs: row[start + 23],
            promptSHA256: row[start + 24],
            cache: row[start + 25],
            savedMicroUSD: row[start + 26]
        )
    }

    /// The attempts of the given requests, by request id, in attempt order.
    private static func attempts(of requestIDs: [String], _ db: Database) throws -> [String: [LedgerAttemptRow]] {
        guard !requestIDs.isEmpty else { return [:] }
        let placeholders = Array(repeating: "?", count: requestIDs.count).joined(separator: ", ")
        let sql = """
            SELECT request_id, number, provider, model, outcome, http_status, latency_ms, prompt_tokens,
                completion_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, cost_micro_usd
            FROM attempts WHERE request_id IN (\(placeholders)) ORDER BY request_id, number
            """
        var attempts: [String: [LedgerAttemptRow]] = [:]
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(requestIDs))
        while let row = try cursor.next() {
            let attempt = LedgerAttemptRow(
                requestID: row[0], number: row[1], provider: row[2], model: row[3], outcome: row[4],
                httpStatus: row[5], latencyMs: row[6], promptTokens: row[7], completionTokens: row[8],
                cachedTokens: row[9], cacheWriteTokens: row[10], reasoningTokens: row[11], costMicroUSD: row[12]
            )
            attempts[attempt.requestID, default: []].append(attempt)
        }
        return attempts
    }
}
