import GRDB

extension LedgerStore {
    /// Sums requests in the query's window by its groups.
    func usage(_ query: UsageQuery) async throws -> UsageReport {
        let (conditions, arguments) = Self.conditions(query)
        let keys = query.groupBy.map { Self.column($0, utcOffsetSeconds: query.utcOffsetSeconds) }
        let sums = """
            COUNT(*), SUM(outcome != 'ok'), SUM(prompt_tokens), SUM(completion_tokens), SUM(cached_tokens),
            SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(cost_micro_usd), SUM(cost_micro_usd IS NULL),
            COUNT(feedback.score), SUM(feedback.score)
            """
        // Ratings join on the request id (at most one per request); no other column of `feedback` shares a name
        // with one of `requests`, so the conditions and groups need no table names.
        let from = "requests LEFT JOIN feedback ON feedback.request_id = requests.request_id"
        var sql = "SELECT \((keys + [sums]).joined(separator: ", ")) FROM \(from) WHERE \(conditions)"
        if !keys.isEmpty {
            // NULLs sort first in SQLite; positions refer to the select list.
            let positions = (1...keys.count).map(String.init).joined(separator: ", ")
            sql += " GROUP BY \(positions) ORDER BY \(positions)"
        }
        let groupCount = keys.count
        let statementArguments = StatementArguments(arguments)
        let statement = sql
        let rows = try await self.pool.read { db in
            var rows: [UsageRow] = []
            let cursor = try Row.fetchCursor(db, sql: statement, arguments: statementArguments)
            while let row = try cursor.next() {
                let totals = Self.totals(row, from: groupCount)
                guard totals.requests > 0 else { continue }  // no GROUP BY over no rows still answers one row
                rows.append(UsageRow(keys: (0..<groupCount).map { Self.key(row[$0]) }, totals: totals))
            }
            return rows
        }
        return UsageReport(query: query, rows: rows, totals: rows.map(\.totals).reduce(UsageTotals(), +))
    }

    /// Spend since `since` (UTC ms) by the rows matching every given filter (nil filters match all rows).
    func spend(since: Int64, uid: UInt32?, gid: UInt32?, client: String?) async throws -> LedgerSpend {
        // Requests that never reached admission (refused by a budget before any attempt, unroutable) are not the
        // budget's requests; one refused before a further attempt was admitted, and its attempts billed.
        var conditions = [
            "time_ms >= ?",
            "NOT (attempts = 0 AND outcome IN ('budget_exhausted', 'invalid_request', 'nothing_configured'))",
        ]
        var arguments: [DatabaseValue] = [since.databaseValue]
        if let uid {
            conditions.append("uid = ?")
            arguments.append(uid.databaseValue)
        }
        if let gid {
            conditions.append("gid = ?")
            arguments.append(gid.databaseValue)
        }
        if let client {
            conditions.append("client = ?")
            arguments.append(client.databaseValue)
        }
        let sql = """
            SELECT SUM(cost_micro_usd), SUM(prompt_tokens + completion_tokens), COUNT(*),
                SUM(cost_micro_usd IS NULL) FROM requests
            WHERE \(conditions.joined(separator: " AND "))
            """
        let statementArguments = StatementArguments(arguments)
        return try await self.pool.read { db in
            guard let row = try Row.fetchOne(db, sql: sql, arguments: statementArguments) else {
                return LedgerSpend()
            }
            return LedgerSpend(
                microUSD: Self.int(row[0]), tokens: Self.int(row[1]), requests: Self.int(row[2]),
                unknownCost: Self.int(row[3])
            )
        }
    }

    /// The SQL expression of a dimension. Only integers the daemon computed are spliced into the text.
    private static func column(_ dimension: UsageDimension, utcOffsetSeconds: Int) -> String {
        switch dimension {
        case .client, .uid, .provider, .model, .route: dimension.rawValue
        case .day: "(time_ms + \(Int64(utcOffsetSeconds) * 1_000)) / 86400000"
        case .hour: "(time_ms + \(Int64(utcOffsetSeconds) * 1_000)) / 3600000"
        }
    }

    private static func conditions(_ query: UsageQuery) -> (String, [DatabaseValue]) {
        var conditions = ["time_ms >= ?", "time_ms < ?"]
        var arguments: [DatabaseValue] = [query.since.databaseValue, query.until.databaseValue]
        if let uid = query.restrictedToUID {
            conditions.append("uid = ?")
            arguments.append(uid.databaseValue)
        }
        // Sorted so that the same query is the same SQL (and the same cached plan).
        for (dimension, key) in query.filters.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let column = Self.column(dimension, utcOffsetSeconds: query.utcOffsetSeconds)
            switch key {
            case .none: conditions.append("\(column) IS NULL")
            case .text(let text):
                conditions.append("\(column) = ?")
                arguments.append(text.databaseValue)
            case .number(let number):
                conditions.append("\(column) = ?")
                arguments.append(number.databaseValue)
            }
        }
        switch query.outcome {
        case nil: break
        case "error"?: conditions.append("outcome != 'ok'")
        case let outcome?:
            conditions.append("outcome = ?")
            arguments.append(outcome.databaseValue)
        }
        return (conditions.joined(separator: " AND "), arguments)
    }

    private static func totals(_ row: Row, from start: Int) -> UsageTotals {
        UsageTotals(
            requests: Self.int(row[start]),
            errors: Self.int(row[start + 1]),
            promptTokens: Self.int(row[start + 2]),
            completionTokens: Self.int(row[start + 3]),
            cachedTokens: Self.int(row[start + 4]),
            cacheWriteTokens: Self.int(row[start + 5]),
            reasoningTokens: Self.int(row[start + 6]),
            costMicroUSD: Self.int(row[start + 7]),
            costUnknown: Self.int(row[start + 8]),
            feedbackCount: Self.int(row[start + 9]),
            feedbackScoreSum: Self.double(row[start + 10])
        )
    }

    /// `SUM` and `COUNT` answer integers (exact, and an overflow is an error rather than a rounding), or NULL.
    private static func int(_ value: DatabaseValue) -> Int {
        switch value.storage {
        case .int64(let number): Int(number)
        case .double(let number): Int(number)
        default: 0
        }
    }

    /// A `SUM` over REAL values: a double, or NULL (no rows) as 0.
    private static func double(_ value: DatabaseValue) -> Double {
        switch value.storage {
        case .int64(let number): Double(number)
        case .double(let number): number
        default: 0
        }
    }

    private static func key(_ value: DatabaseValue) -> UsageKey {
        switch value.storage {
        case .int64(let number): .number(number)
        case .string(let text): .text(text)
        default: .none
        }
    }
}
