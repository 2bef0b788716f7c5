/// Fits a prompt into one context window with room for the answer, dropping the oldest whole turns when it must
/// (`fit: "truncate_oldest"`). Pure: counts in, decision out.
///
/// **Counting.** The prompt fits when its tokens plus `reserve` are at most `window`. Without an exact count the
/// tokens are Junction's estimate, and the estimate is checked with `safetyMarginPercent` added (10 % by default:
/// the 4-bytes-a-token estimate tracks BPE tokenisers on English prose within about 15 %, and the margin keeps a
/// prompt the estimate puts just under the limit from failing upstream). With the provider's exact count of the
/// whole prompt, no margin is added: each message's estimate is scaled by exact ÷ estimated, so that what is left
/// after trimming is counted in the provider's tokens. Reported counts never include the margin.
///
/// **Turns.** A turn is one user message and the assistant messages that answer it (those after it, up to the
/// next user message); assistant messages before the first user message form a turn of their own. System messages
/// inside the conversation belong to no turn: they stay where they are and are never dropped, like the separate
/// system prompt.
///
/// **Trimming.** Turns are dropped whole, oldest first, until the prompt fits. Never dropped: the newest turn (the
/// last user message and whatever follows it; with no user message at all, the newest messages), and any turn
/// with a message marked `keep` — such a turn is skipped and dropping goes on with the next droppable turn in age
/// order, which may be newer than it. When even the minimum (everything droppable dropped) does not fit, the
/// answer is `cannotFit` with both sizes.
public struct ContextFitter: Sendable, Equatable {
    /// The margin added to estimates when no exact count is known.
    public static let defaultSafetyMarginPercent = 10
    /// The answer's reserve when neither the request's `max_tokens` nor the model's max output is known.
    public static let defaultReserve = 4096
    /// Without `max_tokens`, the reserve is at most this share of the window (a quarter).
    public static let maximumReserveShareDivisor = 4

    /// The model's context window, in tokens.
    public var window: Int
    /// Tokens kept free for the answer.
    public var reserve: Int
    public var safetyMarginPercent: Int

    public init(window: Int, reserve: Int, safetyMarginPercent: Int = Self.defaultSafetyMarginPercent) {
        self.window = window
        self.reserve = reserve
        self.safetyMarginPercent = safetyMarginPercent
    }

    /// The room to keep for the answer: the request's `max_tokens` when it gives one (the provider may use all of
    /// it); otherwise the model's max output (`defaultReserve` when unknown), at most a quarter of the window —
    /// a model that may write 128K tokens rarely does, and reserving all of it would trim prompts for nothing.
    public static func reserve(maxTokens: Int?, maxOutputTokens: Int?, window: Int) -> Int {
        if let maxTokens { return max(0, maxTokens) }
        return max(0, min(maxOutputTokens ?? Self.defaultReserve, window / Self.maximumReserveShareDivisor))
    }

    /// The whole prompt as this fitter counts it (`exactPromptTokens`, else the estimate) and whether it fits
    /// as it is (the estimate with the margin).
    public func measure(_ counts: PromptTokenCounts, exactPromptTokens: Int?) -> (tokens: Int, fits: Bool) {
        let size = self.size(of: counts.total, estimatedTotal: counts.total, exact: exactPromptTokens)
        return (size.counted, size.needed + self.reserve <= self.window)
    }

    /// Fits `chat`'s messages by Junction's estimate (and `exactPromptTokens`, the provider's count of the whole
    /// prompt, when known).
    public func fit(_ chat: ChatRequest, exactPromptTokens: Int? = nil) -> ContextFit {
        self.fit(
            messages: chat.messages, counts: PromptTokenCounts(estimating: chat), exactPromptTokens: exactPromptTokens
        )
    }

    /// Fits `messages`, whose estimated sizes are `counts` (one per message, in order), by the rules above.
    public func fit(messages: [ChatMessage], counts: PromptTokenCounts, exactPromptTokens: Int? = nil) -> ContextFit {
        precondition(counts.messages.count == messages.count, "one token count per message")
        let exact = exactPromptTokens != nil
        let total = counts.total
        var size = self.size(of: total, estimatedTotal: total, exact: exactPromptTokens)
        let whole = size.counted
        guard size.needed + self.reserve > self.window else {
            return .fits(messages, trimmed: 0, promptTokens: whole, exact: exact)
        }
        var kept = [Bool](repeating: true, count: messages.count)
        var remaining = total
        var trimmed = 0
        for turn in Self.droppableTurns(of: messages) {
            for index in turn {
                kept[index] = false
                remaining -= counts.messages[index]
            }
            trimmed += turn.count
            size = self.size(of: remaining, estimatedTotal: total, exact: exactPromptTokens)
            if size.needed + self.reserve <= self.window {
                let left = zip(messages, kept).compactMap { message, keep in keep ? message : nil }
                return .fits(left, trimmed: trimmed, promptTokens: size.counted, exact: exact)
            }
        }
        return .cannotFit(promptTokens: whole, minimumTokens: size.counted, window: self.window, reserve: self.reserve)
    }

    /// `estimated` tokens as counted (scaled to the exact total when there is one) and as checked against the
    /// window (the count, or the estimate plus the margin).
    private func size(of estimated: Int, estimatedTotal: Int, exact: Int?) -> (counted: Int, needed: Int) {
        if let exact {
            // An empty estimate gives no ratio: count the whole exact total, the safe side.
            // An absurd count from a provider must not overflow: the product saturates (it then does not fit).
            let product = estimated.multipliedReportingOverflow(by: exact)
            let scaled = estimatedTotal > 0
                ? Self.divideRoundingUp(product.overflow ? Int.max / 2 : product.partialValue, estimatedTotal) : exact
            return (scaled, scaled)
        }
        return (estimated, Self.divideRoundingUp(estimated * (100 + self.safetyMarginPercent), 100))
    }

    private static func divideRoundingUp(_ dividend: Int, _ divisor: Int) -> Int {
        dividend <= 0 ? 0 : (dividend + divisor - 1) / divisor
    }
}
