/// Told of every rating once it is stored (the metrics' `junction_feedback_score` histogram attaches here).
/// Called on the feedback call's task, after the ledger's transaction: it must not block.
protocol FeedbackObserver: Sendable {
    func feedbackRecorded(provider: String, model: String, score: Double)
}
