import JunctionCore
import JunctionRPC

/// `stats.snapshot` (the live view `junctionctl top` and the dashboard poll) and `feedback` (rating an answer).
enum StatsMethods {
    static func all(snapshot: StatsSnapshot, feedback: FeedbackRecorder) -> [RPCMethod] {
        [
            RPCMethod("stats.snapshot") { params, _ in
                _ = try Params(params, known: [])
                return snapshot.json()
            },
            RPCMethod("feedback") { params, context in
                let rating = try Self.rating(try Params(params, known: ["request_id", "score", "comment"]))
                let stored = try await feedback.record(rating, caller: context.peer, isAdmin: context.isAdmin)
                return [
                    "request_id": .string(rating.requestID),
                    "score": .double(rating.score),
                    "provider": stored.target.map { .string($0.provider) } ?? .null,
                    "model": stored.target.map { .string($0.model) } ?? .null,
                    "replaced": .bool(stored.previous != nil),
                    "previous_score": stored.previous.map(JSONValue.double) ?? .null,
                ]
            },
        ]
    }

    /// `request_id` (a string), `score` (a number from 0 to 1) and an optional `comment` (bounded).
    static func rating(_ params: Params) throws(RPCError) -> FeedbackRecorder.Rating {
        let requestID = try params.required("request_id", params.string)
        guard !requestID.isEmpty, requestID.utf8.count <= FeedbackRecorder.maxRequestIDLength else {
            throw .invalidParams(
                field: "request_id",
                problem: "must be a request id (the request_id of a generate result), 1 to "
                    + "\(FeedbackRecorder.maxRequestIDLength) bytes"
            )
        }
        guard let raw = params.value("score"), raw != .null else {
            throw .invalidParams(field: "score", problem: "is required (a number from 0 to 1)")
        }
        guard let score = raw.doubleValue, score.isFinite, score >= 0, score <= 1 else {
            let given = raw.doubleValue != nil ? raw.compactText : raw.typeName
            throw .invalidParams(field: "score", problem: "must be a number from 0 (bad) to 1 (good), got \(given)")
        }
        let comment = try params.string("comment")
        if let comment, comment.count > FeedbackRecorder.maxCommentCharacters {
            throw .invalidParams(
                field: "comment",
                problem: "must be at most \(FeedbackRecorder.maxCommentCharacters) characters, got \(comment.count)"
            )
        }
        return FeedbackRecorder.Rating(requestID: requestID, score: score, comment: comment)
    }
}
