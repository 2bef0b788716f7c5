/// What to do with a prompt that does not fit a target's context window (`generate`'s `fit` param).
public enum FitMode: String, Sendable, CaseIterable {
    /// Answer -32602 with the sizes when the prompt fits no target.
    case error
    /// Drop the oldest whole turns until the prompt and `max_tokens` fit.
    case truncateOldest = "truncate_oldest"
    /// Skip targets whose window is too small (the default).
    case failOver = "fail_over"
}
