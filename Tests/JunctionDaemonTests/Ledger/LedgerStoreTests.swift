import Foundation
import GRDB
import Testing

@testable import JunctionDaemon

@Suite("Ledger store")
struct LedgerStoreTests {
    let directory: TemporaryDirectory
    let store: LedgerStore

    init() throws {
        self.directory = try TemporaryDirectory()
        self.store = try LedgerStore(path: self.directory.path + "/state/junction/ledger.sqlite")
    }

    /// 2025-11-20T12:00:00Z.
    static let noon: Int64 = 1_763_640_000_000
    static let hour: Int64 = 3_600_000

    @Test func createsAPrivateDirectoryAndFileInWALMode() async throws {
        var status = stat()
        #expect(stat(self.directory.path + "/state", &status) == 0)
        #expect(status.st_mode & 0o777 == 0o700)
        #expect(stat(self.directory.path + "/state/junction", &status) == 0)
        #expect(status.st_mode & 0o777 == 0o700)
        #expect(stat(self.store.path, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600)
        let (journal, synchronous) = try await self.store.pool.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(journal == "wal")
        #expect(synchronous == 1)  // NORMAL
    }

    @Test func migrationsCreateTheTablesOnceAndReopeningKeepsTheRows() async throws {
        try await self.store.insert(requests: [.sample("r1")], attempts: [.sample("r1")])
        let reopened = try LedgerStore(path: self.store.path)
        #expect(try await rowCount(reopened, "requests") == 1)
        #expect(try await rowCount(reopened, "attempts") == 1)
        let (applied, indexes) = try await reopened.pool.read { db in
            (
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"),
                try String.fetchAll(
                    db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'requests_by_%'"
                )
            )
        }
        #expect(applied == ["v1", "v2", "v3"])
        let expected: Set = ["requests_by_time", "requests_by_uid", "requests_by_client", "requests_by_provider_model"]
        #expect(Set(indexes) == expected)
    }

    @Test func aFileThatIsNotADatabaseIsReportedWithItsPath() throws {
        let path = try self.directory.write("garbage.sqlite", contents: String(repeating: "not sqlite\n", count: 200))
        #expect {
            _ = try LedgerStore(path: path)
        } throws: { error in
            "\(error)".contains(path) && "\(error)".contains("not a database")
        }
    }

    @Test func insertsRequestsWithTheirAttemptsInOneTransactionAndReadsThemBack() async throws {
        var failed = LedgerRequestRow.sample("r2", time: Self.noon + 1, outcome: "upstream_error", cost: nil)
        failed.attempts = 2
        failed.ttftMs = 55
        try await self.store.insert(
            requests: [.sample("r1", time: Self.noon), failed],
            attempts: [
                .sample("r1"), .sample("r2", number: 1, outcome: "http_500"), .sample("r2", number: 2, cost: nil),
            ]
        )
        let page = try await self.store.export(since: 0, until: .max, uid: nil, after: nil, limit: 10)
        #expect(page.entries.map(\.request) == [.sample("r1", time: Self.noon), failed])
        #expect(page.entries[1].attempts.map(\.number) == [1, 2])
        #expect(page.entries[1].attempts[1].costMicroUSD == nil)
        #expect(page.next == nil)
        // Recording the same request twice (a retried write) keeps one row.
        try await self.store.insert(requests: [.sample("r1", time: Self.noon)], attempts: [.sample("r1")])
        #expect(try await rowCount(self.store, "requests") == 2)
    }

    private func seed() async throws {
        try await self.store.insert(
            requests: [
                .sample("a", time: Self.noon, uid: 1000, client: "editor", provider: "openai", model: "gpt-4o"),
                .sample("b", time: Self.noon + 1, uid: 1000, client: "editor", model: "gpt-4o-mini"),
                .sample(
                    "c", time: Self.noon + Self.hour, uid: 1001, client: nil, provider: "anthropic", model: "claude"
                ),
                .sample(
                    "d", time: Self.noon + 13 * Self.hour, uid: 1001, client: "ci", route: "cheap",
                    provider: "anthropic", model: "claude", outcome: "rate_limited", tokens: (0, 0), cost: nil
                ),
            ],
            attempts: []
        )
    }

    @Test func totalsWithoutGroupsSumEveryRowInTheWindow() async throws {
        try await self.seed()
        let report = try await self.store.usage(UsageQuery(since: Self.noon, until: Self.noon + 24 * Self.hour))
        let expected = UsageTotals(
            requests: 4, errors: 1, promptTokens: 300, completionTokens: 60, cachedTokens: 30, cacheWriteTokens: 12,
            reasoningTokens: 8, costMicroUSD: 4_500, costUnknown: 1
        )
        #expect(report.rows == [UsageRow(keys: [], totals: expected)])
        #expect(report.totals == expected)
        // `until` is exclusive, `since` inclusive.
        let window = try await self.store.usage(UsageQuery(since: Self.noon + 1, until: Self.noon + Self.hour))
        #expect(window.totals.requests == 1)
        let empty = try await self.store.usage(UsageQuery(since: 0, until: 1))
        #expect(empty.rows.isEmpty)
        #expect(empty.totals == UsageTotals())
    }

    @Test(arguments: [
        (UsageDimension.client, [UsageKey.none, .text("ci"), .text("editor")], [1, 1, 2]),
        (.uid, [.number(1000), .number(1001)], [2, 2]),
        (.provider, [.text("anthropic"), .text("openai")], [2, 2]),
        (.model, [.text("claude"), .text("gpt-4o"), .text("gpt-4o-mini")], [2, 1, 1]),
        (.route, [.none, .text("cheap")], [3, 1]),
    ])
    func groupsByEachDimension(dimension: UsageDimension, keys: [UsageKey], requests: [Int]) async throws {
        try await self.seed()
        let report = try await self.store.usage(UsageQuery(since: 0, until: .max, groupBy: [dimension]))
        #expect(report.rows.map(\.keys) == keys.map { [$0] })
        #expect(report.rows.map(\.totals.requests) == requests)
        #expect(report.totals.requests == 4)
    }

    @Test func groupsByDayAndHourInTheGivenOffset() async throws {
        try await self.seed()
        // UTC: noon, noon, 13:00 on day 20412, 01:00 the next day.
        let utc = try await self.store.usage(UsageQuery(since: 0, until: .max, groupBy: [.day, .hour]))
        let day = Self.noon / 86_400_000
        #expect(utc.rows.map(\.keys) == [
            [.number(day), .number(day * 24 + 12)], [.number(day), .number(day * 24 + 13)],
            [.number(day + 1), .number(day * 24 + 25)],
        ])
        #expect(utc.rows.map(\.totals.requests) == [2, 1, 1])
        #expect(UsageTime.dayText(day) == "2025-11-20")
        #expect(UsageTime.hourText(day * 24 + 25) == "2025-11-21T01:00")
        // Eleven hours behind UTC every request falls on the 20th (local 01:00, 02:00 and 14:00).
        let behind = try await self.store.usage(
            UsageQuery(since: 0, until: .max, groupBy: [.day], utcOffsetSeconds: -11 * 3_600)
        )
        #expect(behind.rows.map(\.keys) == [[.number(day)]])
        #expect(behind.rows.map(\.totals.requests) == [4])
    }

    @Test func filtersOnDimensionsAndOutcome() async throws {
        try await self.seed()
        func requests(_ filters: [UsageDimension: UsageKey], outcome: String? = nil) async throws -> Int {
            let query = UsageQuery(since: 0, until: .max, filters: filters, outcome: outcome)
            return try await self.store.usage(query).totals.requests
        }
        #expect(try await requests([.provider: .text("openai")]) == 2)
        #expect(try await requests([.provider: .text("openai"), .model: .text("gpt-4o")]) == 1)
        #expect(try await requests([.client: .none]) == 1)
        #expect(try await requests([.uid: .number(1001)]) == 2)
        #expect(try await requests([.day: .number(Self.noon / 86_400_000 + 1)]) == 1)
        #expect(try await requests([:], outcome: "error") == 1)
        #expect(try await requests([:], outcome: "ok") == 3)
        #expect(try await requests([:], outcome: "rate_limited") == 1)
        #expect(try await requests([.provider: .text("nobody")]) == 0)
    }

    @Test func aRestrictedQuerySeesOnlyItsOwnUID() async throws {
        try await self.seed()
        let own = try await self.store.usage(UsageQuery(since: 0, until: .max, groupBy: [.uid], restrictedToUID: 1000))
        #expect(own.rows.map(\.keys) == [[.number(1000)]])
        #expect(own.totals.requests == 2)
        // Asking for another uid's rows on top of the restriction finds nothing.
        let other = try await self.store.usage(
            UsageQuery(since: 0, until: .max, filters: [.uid: .number(1001)], restrictedToUID: 1000)
        )
        #expect(other.totals.requests == 0)
        let export = try await self.store.export(since: 0, until: .max, uid: 1001, after: nil, limit: 10)
        #expect(export.entries.map(\.request.requestID) == ["c", "d"])
    }

    @Test func exportPagesThroughEveryRowInWriteOrder() async throws {
        // Written out of time order (requests finish in a different order than they start).
        let times: [Int64] = [5, 1, 3, 3, 2, 4, 9]
        try await self.store.insert(
            requests: times.enumerated().map { .sample("r\($0.offset)", time: Self.noon + $0.element) },
            attempts: times.indices.map { .sample("r\($0)") }
        )
        var seen: [String] = []
        var cursor: LedgerExportCursor?
        var pages = 0
        repeat {
            let page = try await self.store.export(
                since: Self.noon, until: Self.noon + 9, uid: nil, after: cursor, limit: 2
            )
            #expect(page.entries.allSatisfy { $0.attempts.count == 1 })
            seen += page.entries.map(\.request.requestID)
            cursor = page.next
            pages += 1
            if let next = cursor { #expect(LedgerExportCursor(next.description) == next) }
            // A request that started early but finished (and was written) while the export runs is not skipped.
            if pages == 1 {
                try await self.store.insert(requests: [.sample("late", time: Self.noon)], attempts: [.sample("late")])
            }
        } while cursor != nil
        #expect(seen == ["r0", "r1", "r2", "r3", "r4", "r5", "late"])  // the one at +9 is past `until`
        #expect(pages == 4)
    }

    @Test func pruneDeletesOldRequestsAndTheirAttempts() async throws {
        let rows = (0..<12).map { LedgerRequestRow.sample("r\($0)", time: Self.noon + Int64($0) * Self.hour) }
        try await self.store.insert(requests: rows, attempts: rows.map { .sample($0.requestID) })
        #expect(try await self.store.pruneChunk(before: Self.noon + 5 * Self.hour, limit: 2) == 2)
        #expect(try await self.store.prune(before: Self.noon + 5 * Self.hour) == 3)
        #expect(try await self.store.prune(before: Self.noon + 5 * Self.hour) == 0)
        #expect(try await rowCount(self.store, "requests") == 7)
        #expect(try await rowCount(self.store, "attempts") == 7)
        let oldest = try await self.store.export(since: 0, until: .max, uid: nil, after: nil, limit: 1)
        #expect(oldest.entries.first?.request.requestID == "r5")
    }

    @Test func spendSumsCostTokensAndRequestsByWhoSpent() async throws {
        try await self.seed()
        let all = try await self.store.spend(since: 0, uid: nil, gid: nil, client: nil)
        #expect(all == LedgerSpend(microUSD: 4_500, tokens: 360, requests: 4, unknownCost: 1))
        let uid1001 = try await self.store.spend(since: 0, uid: 1001, gid: nil, client: nil)
        #expect(uid1001 == LedgerSpend(microUSD: 1_500, tokens: 120, requests: 2, unknownCost: 1))
        #expect(try await self.store.spend(since: 0, uid: nil, gid: nil, client: "editor").requests == 2)
        #expect(try await self.store.spend(since: 0, uid: nil, gid: 1001, client: nil).requests == 2)
        #expect(try await self.store.spend(since: Self.noon + 2, uid: nil, gid: nil, client: nil).requests == 2)
        #expect(try await self.store.spend(since: 0, uid: 1, gid: nil, client: nil) == LedgerSpend())
    }
}
