import JunctionCore

/// What `ContextFitting` decided for one attempt's target.
enum ContextFitResult: Sendable, Equatable {
    /// Send `chat` (trimmed when `trimmed > 0`). `promptTokensEstimated` is the prompt as sent, by Junction's
    /// estimate — scaled to the provider's exact count when one was made (no safety margin in it).
    case send(ChatRequest, trimmed: Int, promptTokensEstimated: Int)
    /// The prompt cannot fit this target even after trimming (or mode is not truncate_oldest and it does not fit).
    /// `promptTokens` is the whole prompt, counted as for `send`; `reserve` the room kept for the answer.
    case tooLarge(promptTokens: Int, window: Int, reserve: Int)
    /// The window of this target is unknown: send as is.
    case unknownWindow(ChatRequest)
}
