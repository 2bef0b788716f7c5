import GRDB
import JunctionCore

/// Who made a request and which target answered it (its last attempt's; the request row's when it made none, as a
/// cache hit): what a rating checks and is counted under.
struct LedgerRequestIdentity: Sendable, Equatable {
    var uid: UInt32
    /// nil: the request reached no target (refused by a budget, unroutable).
    var target: TargetRef?

    init(uid: UInt32, target: TargetRef?) {
        self.uid = uid
        self.target = target
    }

    init(_ entry: LedgerEntry) {
        self.uid = entry.request.uid
        if let last = entry.attempts.last {
            self.target = TargetRef(provider: last.provider, model: last.model)
        } else if let provider = entry.request.provider, let model = entry.request.model {
            self.target = TargetRef(provider: provider, model: model)
        } else {
            self.target = nil
        }
    }
}

/// A rating to store (table `feedback`).
struct LedgerFeedbackRow: Sendable, Equatable {
    var requestID: String
    /// UTC milliseconds when it was given.
    var ratedMs: Int64
    /// Who gave it (the request's owner, or an administrator).
    var ratedUID: UInt32
    var score: Double
    var comment: String?
}

/// What storing a rating came to.
enum LedgerFeedbackResult: Sendable, Equatable {
    /// Stored; `previous` is the score it replaced (nil: the first rating of the request).
    case stored(LedgerRequestIdentity, previous: Double?)
    /// No request with that id in the ledger (nor in the writer's queue).
    case unknownRequest
    /// The request is another uid's, and the caller may rate only its own.
    case notOwner
}

extension LedgerStore {
    /// The SQL of a request's identity: its uid, and its last attempt's target or else its own provider and model.
    private static let identitySQL = """
        SELECT r.uid, COALESCE(a.provider, r.provider), COALESCE(a.model, r.model) FROM requests r
        LEFT JOIN attempts a ON a.request_id = r.request_id AND a.number = r.attempts
        WHERE r.request_id = ?
        """

    /// Stores a rating in one transaction: finds the request (or takes `pending`, the identity of a request whose
    /// row still waits in the writer's queue), checks that it is `restrictedToUID`'s when that is given, and
    /// replaces any earlier rating of it. On the writer's queue of GRDB: it never runs on an event loop.
    func recordFeedback(
        _ row: LedgerFeedbackRow,
        pending: LedgerRequestIdentity?,
        restrictedToUID: UInt32?
    ) async throws -> LedgerFeedbackResult {
        try await self.pool.write { db in
            var identity = pending
            if identity == nil, let found = try Row.fetchOne(db, sql: Self.identitySQL, arguments: [row.requestID]) {
                let provider: String? = found[1]
                let model: String? = found[2]
                let target = provider.flatMap { provider in model.map { TargetRef(provider: provider, model: $0) } }
                identity = LedgerRequestIdentity(uid: UInt32(found[0] as Int64), target: target)
            }
            guard let identity else { return .unknownRequest }
            if let uid = restrictedToUID, identity.uid != uid { return .notOwner }
            let previous = try Double.fetchOne(
                db, sql: "SELECT score FROM feedback WHERE request_id = ?", arguments: [row.requestID]
            )
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO feedback (request_id, rated_ms, rated_uid, score, comment)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [row.requestID, row.ratedMs, row.ratedUID, row.score, row.comment]
            )
            return .stored(identity, previous: previous)
        }
    }

    /// Every rating the ledger holds, counted per target (the request's last attempt's): seeds `stats.snapshot`.
    func feedbackByTarget() async throws -> [TargetRef: FeedbackTally] {
        try await self.pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT COALESCE(a.provider, r.provider), COALESCE(a.model, r.model), COUNT(*), SUM(f.score)
                    FROM feedback f JOIN requests r ON r.request_id = f.request_id
                    LEFT JOIN attempts a ON a.request_id = r.request_id AND a.number = r.attempts
                    GROUP BY 1, 2
                    """
            )
            var tallies: [TargetRef: FeedbackTally] = [:]
            for row in rows {
                guard let provider = row[0] as String?, let model = row[1] as String? else { continue }
                tallies[TargetRef(provider: provider, model: model)] = FeedbackTally(
                    count: row[2], sum: row[3] ?? 0
                )
            }
            return tallies
        }
    }

    /// The known cost of every attempt of the requests that started at or after `since` (UTC ms), per target:
    /// seeds today's cost in `stats.snapshot`.
    func costByTarget(since: Int64) async throws -> [TargetRef: MicroUSD] {
        try await self.pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT a.provider, a.model, SUM(a.cost_micro_usd) FROM attempts a
                    JOIN requests r ON r.request_id = a.request_id
                    WHERE r.time_ms >= ? GROUP BY 1, 2
                    """,
                arguments: [since]
            )
            var costs: [TargetRef: MicroUSD] = [:]
            for row in rows {
                guard let cost = row[2] as Int? else { continue }
                costs[TargetRef(provider: row[0], model: row[1])] = cost
            }
            return costs
        }
    }
}
