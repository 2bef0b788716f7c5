import JunctionCore
import JunctionRPC

/// `feedback`: stores a rating of a request in the ledger (the caller's own request, or any for an
/// administrator), then counts it in the stats and tells the observers. The write goes through GRDB's writer
/// queue and is awaited: no SQLite call runs on an event loop.
final class FeedbackRecorder: Sendable {
    /// The longest comment kept, in characters.
    static let maxCommentCharacters = 2_000
    /// Request ids are `r-…` strings the daemon makes; anything longer is not one.
    static let maxRequestIDLength = 200

    private let ledger: LedgerWriter
    private let stats: StatsCollector
    private let observers: [any FeedbackObserver]
    private let wallClock: @Sendable () -> Int64

    init(
        ledger: LedgerWriter,
        stats: StatsCollector,
        observers: [any FeedbackObserver] = [],
        wallClock: @escaping @Sendable () -> Int64 = LedgerWriter.wallClockMilliseconds
    ) {
        self.ledger = ledger
        self.stats = stats
        self.observers = observers
        self.wallClock = wallClock
    }

    /// A rating to store, already validated.
    struct Rating: Sendable, Equatable {
        var requestID: String
        var score: Double
        var comment: String?
    }

    /// What was stored: the target the rating counts under (nil: the request reached none) and whether it replaced
    /// an earlier rating.
    struct Stored: Sendable, Equatable {
        var target: TargetRef?
        var previous: Double?
    }

    /// Stores `rating` for `caller`; throws the RPC error the caller sees.
    func record(_ rating: Rating, caller: PeerCredentials, isAdmin: Bool) async throws(RPCError) -> Stored {
        guard let store = self.ledger.store else { throw .feedbackNeedsLedger(self.ledger.status) }
        let row = LedgerFeedbackRow(
            requestID: rating.requestID, ratedMs: self.wallClock(), ratedUID: caller.uid, score: rating.score,
            comment: rating.comment
        )
        let result: LedgerFeedbackResult
        do {
            result = try await store.recordFeedback(
                row, pending: self.ledger.queuedIdentity(of: rating.requestID),
                restrictedToUID: isAdmin ? nil : caller.uid
            )
        } catch {
            throw .ledgerUnavailable(self.ledger.status, queryError: error)
        }
        switch result {
        case .unknownRequest:
            throw .invalidParams(
                field: "request_id",
                problem: "names no request in the ledger (use the request_id of a generate result; requests older "
                    + "than [ledger] retain are gone)"
            )
        case .notOwner:
            throw RPCError(
                code: RPCErrorCode.permissionDenied.rawValue,
                message: "Permission denied: request \(rating.requestID) is another user's; you may rate only your "
                    + "own requests (administrators may rate any)",
                data: ["request_id": .string(rating.requestID)]
            )
        case .stored(let identity, let previous):
            if let target = identity.target {
                self.stats.feedbackRecorded(target: target, score: rating.score, replacing: previous)
                for observer in self.observers {
                    observer.feedbackRecorded(provider: target.provider, model: target.model, score: rating.score)
                }
            }
            return Stored(target: identity.target, previous: previous)
        }
    }
}

extension RPCError {
    /// `feedback` with the ledger off or unopened: ratings are stored with the requests, so there is nowhere to
    /// keep one.
    static func feedbackNeedsLedger(_ status: LedgerStatus) -> RPCError {
        var data: JSONObject = ["state": .string(status.state.rawValue)]
        let message: String
        if status.state == .disabled {
            message = "Feedback needs the ledger, which is disabled: set [ledger] enabled = true and restart junctiond"
        } else {
            let reason = status.lastError ?? "unknown error"
            data["reason"] = .string(reason)
            message = "Feedback needs the ledger, which is unavailable (\(reason)); fix it and restart junctiond"
        }
        return RPCError(code: RPCErrorCode.ledgerUnavailable.rawValue, message: message, data: .object(data))
    }
}
