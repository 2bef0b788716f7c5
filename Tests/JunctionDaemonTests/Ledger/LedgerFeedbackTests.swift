import Foundation
import GRDB
import JunctionCore
import Testing

@testable import JunctionDaemon

/// Ratings in the ledger (migration v3's `feedback` table): storing and replacing them, who may rate, the
/// aggregates `usage.get` and `stats.snapshot` read, and retention.
@Suite("Ledger feedback")
struct LedgerFeedbackTests {
    let directory: TemporaryDirectory
    let store: LedgerStore
    static let noon: Int64 = 1_763_640_000_000

    init() throws {
        self.directory = try TemporaryDirectory()
        self.store = try LedgerStore(path: self.directory.path + "/ledger.sqlite")
    }

    private func rating(_ id: String, _ score: Double, uid: UInt32 = 1000) -> LedgerFeedbackRow {
        LedgerFeedbackRow(requestID: id, ratedMs: Self.noon, ratedUID: uid, score: score, comment: "fine")
    }

    @Test func aRatingIsStoredReplacedAndCheckedAgainstTheOwner() async throws {
        // Two attempts: the request counts under the one that answered (the last).
        let attempts = [
            LedgerAttemptRow.sample("a", number: 1, outcome: "http_503", cost: nil),
            {
                var row = LedgerAttemptRow.sample("a", number: 2)
                row.provider = "anthropic"
                row.model = "claude"
                return row
            }(),
        ]
        var request = LedgerRequestRow.sample("a", uid: 1000, provider: "anthropic", model: "claude-20250101")
        request.attempts = 2
        try await self.store.insert(requests: [request], attempts: attempts)
        let claude = TargetRef(provider: "anthropic", model: "claude")
        let first = try await self.store.recordFeedback(self.rating("a", 0.5), pending: nil, restrictedToUID: 1000)
        #expect(first == .stored(LedgerRequestIdentity(uid: 1000, target: claude), previous: nil))
        let second = try await self.store.recordFeedback(self.rating("a", 1), pending: nil, restrictedToUID: nil)
        #expect(second == .stored(LedgerRequestIdentity(uid: 1000, target: claude), previous: 0.5))
        #expect(try await rowCount(self.store, "feedback") == 1)
        let other = try await self.store.recordFeedback(
            self.rating("a", 0, uid: 1001), pending: nil, restrictedToUID: 1001)
        #expect(other == .notOwner)
        let unknown = try await self.store.recordFeedback(self.rating("zzz", 0), pending: nil, restrictedToUID: nil)
        #expect(unknown == .unknownRequest)
        let score = try await self.store.pool.read { db in
            try Double.fetchOne(db, sql: "SELECT score FROM feedback WHERE request_id = 'a'")
        }
        #expect(score == 1)  // the refused rating changed nothing
        #expect(try await self.store.feedbackByTarget() == [claude: FeedbackTally(count: 1, sum: 1)])
    }

    @Test func aQueuedRequestIsRatedFromItsQueuedIdentity() async throws {
        let openai = TargetRef(provider: "openai", model: "gpt-4o-mini")
        let pending = LedgerRequestIdentity(uid: 1000, target: openai)
        let result = try await self.store.recordFeedback(
            self.rating("q", 0.25), pending: pending, restrictedToUID: 1000)
        #expect(result == .stored(pending, previous: nil))
        // Its row arrives later; usage then counts the rating.
        try await self.store.insert(requests: [.sample("q")], attempts: [.sample("q")])
        let report = try await self.store.usage(UsageQuery(since: 0, until: .max, groupBy: [.provider]))
        #expect(report.rows.first?.totals.feedbackCount == 1)
        #expect(report.rows.first?.totals.feedbackScoreSum == 0.25)
    }

    @Test func usageCountsRatingsPerGroupAndInTheTotals() async throws {
        let rows: [LedgerRequestRow] = [
            .sample("a", model: "gpt-4o"), .sample("b", model: "gpt-4o"), .sample("c", model: "gpt-4o-mini"),
            .sample("d", model: "gpt-4o-mini"),
        ]
        try await self.store.insert(requests: rows, attempts: rows.map { .sample($0.requestID) })
        for (id, score) in [("a", 1.0), ("b", 0.5), ("c", 0.0)] {
            _ = try await self.store.recordFeedback(self.rating(id, score), pending: nil, restrictedToUID: nil)
        }
        let report = try await self.store.usage(UsageQuery(since: 0, until: .max, groupBy: [.model]))
        #expect(report.rows.map(\.totals.requests) == [2, 2])  // the join adds no rows
        #expect(report.rows.map(\.totals.feedbackCount) == [2, 1])
        #expect(report.rows.map(\.totals.feedbackScoreSum) == [1.5, 0])
        #expect(report.totals.feedbackCount == 3)
        let json = UsageJSON.report(report)
        #expect(json["rows"]?.arrayValue?.first?["feedback_mean_score"] == .double(0.75))
        #expect(json["totals"]?["feedback_count"] == .int(3))
        let none = UsageJSON.report(try await self.store.usage(UsageQuery(since: 0, until: 1)))
        #expect(none["totals"]?["feedback_mean_score"] == .null)
    }

    @Test func todaysCostIsSummedPerTargetFromTheAttempts() async throws {
        let rows: [LedgerRequestRow] = [
            .sample("old", time: Self.noon - 86_400_000), .sample("new", time: Self.noon),
            .sample("newer", time: Self.noon + 1),
        ]
        let attempts: [LedgerAttemptRow] = [
            .sample("old", cost: 1_000), .sample("new", cost: 10), .sample("newer", number: 1, cost: 20),
            .sample("newer", number: 2, cost: nil),
        ]
        try await self.store.insert(requests: rows, attempts: attempts)
        let costs = try await self.store.costByTarget(since: Self.noon)
        #expect(costs == [TargetRef(provider: "openai", model: "gpt-4o-mini"): 30])
    }

    @Test func retentionDeletesTheRatingsOfDeletedRequests() async throws {
        try await self.store.insert(
            requests: [.sample("old", time: Self.noon - 1), .sample("new", time: Self.noon)],
            attempts: [.sample("old"), .sample("new")]
        )
        for id in ["old", "new"] {
            _ = try await self.store.recordFeedback(self.rating(id, 1), pending: nil, restrictedToUID: nil)
        }
        #expect(try await self.store.prune(before: Self.noon) == 1)
        let left = try await self.store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT request_id FROM feedback")
        }
        #expect(left == ["new"])
    }

    @Test func theQueueFindsPendingAndInFlightEntriesUntilWritten() {
        var queue = LedgerQueue(capacity: 10)
        let entry = { (id: String) in LedgerEntry(request: .sample(id), attempts: [.sample(id)]) }
        let queued = [queue.enqueue(entry("a")), queue.enqueue(entry("b"))]
        #expect(queued == [true, true])
        #expect(queue.entry(of: "b")?.request.requestID == "b")
        let batch = queue.take(1)
        #expect(queue.inFlight == 1)
        #expect(queue.entry(of: "a")?.request.requestID == "a")  // being written: still found
        queue.written(batch, at: .now)
        #expect(queue.entry(of: "a") == nil)
        #expect(queue.queued == 1)
        #expect(LedgerRequestIdentity(entry("b")).target == TargetRef(provider: "openai", model: "gpt-4o-mini"))
    }
}
