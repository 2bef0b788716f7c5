import GRDB

extension LedgerStore {
    /// Deletes the requests that started before `before` (UTC ms) and their attempts; returns how many requests.
    func prune(before: Int64) async throws -> Int {
        var deleted = 0
        while true {
            let count = try await self.pruneChunk(before: before, limit: 5_000)
            deleted += count
            if count < 5_000 { return deleted }
        }
    }

    /// Deletes the oldest `limit` requests (at most) that started before `before`, their attempts and ratings, in one
    /// transaction; returns how many requests. Chunks keep each transaction, and the wait of new rows, short.
    func pruneChunk(before: Int64, limit: Int) async throws -> Int {
        try await self.pool.write { db in
            let oldest = "SELECT id FROM requests WHERE time_ms < ? ORDER BY time_ms, id LIMIT ?"
            let oldestIDs = "SELECT request_id FROM requests WHERE id IN (\(oldest))"
            try db.execute(
                sql: "DELETE FROM attempts WHERE request_id IN (\(oldestIDs))",
                arguments: [before, limit]
            )
            try db.execute(
                sql: "DELETE FROM feedback WHERE request_id IN (\(oldestIDs))",
                arguments: [before, limit]
            )
            try db.execute(sql: "DELETE FROM requests WHERE id IN (\(oldest))", arguments: [before, limit])
            return db.changesCount
        }
    }
}
