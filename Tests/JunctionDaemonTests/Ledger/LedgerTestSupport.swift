import Foundation
import GRDB

@testable import JunctionDaemon

extension LedgerRequestRow {
    /// A request row with every field filled; the arguments are what the tests group and filter on (gid: the uid).
    static func sample(
        _ id: String,
        time: Int64 = 1_763_640_000_000,
        uid: UInt32 = 1000,
        gid: UInt32? = nil,
        client: String? = "editor",
        route: String? = nil,
        provider: String? = "openai",
        model: String? = "gpt-4o-mini",
        outcome: String = "ok",
        tokens: (prompt: Int, completion: Int) = (100, 20),
        cost: Int? = 1_500
    ) -> LedgerRequestRow {
        LedgerRequestRow(
            requestID: id, timeMs: time, uid: uid, gid: gid ?? uid, pid: 4242, client: client, route: route,
            requestedModel: model, provider: provider, model: model, attempts: 1, outcome: outcome,
            errorCode: outcome == "ok" ? nil : -32006, finishReason: outcome == "ok" ? "stop" : nil, stream: false,
            promptTokens: tokens.prompt, completionTokens: tokens.completion, cachedTokens: tokens.prompt / 10,
            cacheWriteTokens: 3, reasoningTokens: 2, costMicroUSD: cost, priceVersion: cost == nil ? nil : "builtin-1",
            latencyMs: 321, ttftMs: nil, promptSHA256: String(repeating: "ab", count: 32)
        )
    }
}

extension LedgerAttemptRow {
    static func sample(_ requestID: String, number: Int = 1, outcome: String = "ok", cost: Int? = 1_500) -> Self {
        LedgerAttemptRow(
            requestID: requestID, number: number, provider: "openai", model: "gpt-4o-mini", outcome: outcome,
            httpStatus: outcome == "ok" ? 200 : 500, latencyMs: 100, promptTokens: 100, completionTokens: 20,
            cachedTokens: 10, cacheWriteTokens: 3, reasoningTokens: 2, costMicroUSD: cost
        )
    }
}

/// Waits, without a fixed sleep, until `condition` holds; fails the test after `timeout`.
func eventually(
    _ what: String,
    timeout: Duration = .seconds(60),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw PollTimedOut(what: what, timeout: timeout) }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// Counts the rows of a table.
func rowCount(_ store: LedgerStore, _ table: String) async throws -> Int {
    try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
}
