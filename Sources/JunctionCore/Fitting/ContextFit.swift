/// What `ContextFitter` decided for one prompt and one window.
public enum ContextFit: Sendable, Equatable {
    /// Send `messages` (the original list when `trimmed` is 0). `trimmed` counts the messages dropped;
    /// `promptTokens` is the prompt that is left, as counted (see `ContextFitter`); `exact` says the count comes
    /// from the provider's exact total (scaled to what is left when messages were dropped) rather than the
    /// estimate alone.
    case fits([ChatMessage], trimmed: Int, promptTokens: Int, exact: Bool)
    /// Even without every droppable turn the prompt and the reserve exceed the window. `promptTokens` is the whole
    /// prompt, `minimumTokens` what remains after dropping everything droppable (both counted as for `fits`).
    case cannotFit(promptTokens: Int, minimumTokens: Int, window: Int, reserve: Int)
}
