import JunctionCore
import JunctionProviders

/// Fits a request to one target's context window.
///
/// The window and the model's max output come from the provider (`context_window` and `max_output_tokens` as
/// configured, else Junction's built-in figures); the reserve for the answer is `ContextFitter.reserve`. The
/// cheap path comes first: when the estimate plus its safety margin plus the reserve fits, nothing is sent.
/// Otherwise, when the provider has a count endpoint (Anthropic, Gemini), one count request gives the exact size
/// of the whole prompt (bounded by the request's deadline and `countTimeout`; on any failure — transport, status,
/// unreadable body, no key — the estimate with its margin decides alone). Only `truncate_oldest` changes the chat;
/// `error` and `fail_over` send it unchanged when it fits and report it too large when it does not.
struct ContextFitting: Sendable {
    /// The longest a count request may take: fitting must not cost the attempt much of its deadline.
    static let countTimeout: Duration = .seconds(5)

    private let executor: any HTTPExecutor
    private let clock: any GatewayClock

    static let maxCountBody = 65_536
    static let maxCount = 100_000_000

    init(executor: any HTTPExecutor, clock: any GatewayClock) {
        self.executor = executor
        self.clock = clock
    }

    /// Fits a request to one target's context window.
    func fit(
        _ chat: ChatRequest,
        mode: FitMode,
        target: TargetRef,
        provider: ProviderRegistry.Provider,
        deadline: ContinuousClock.Instant
    ) async -> ContextFitResult {
        guard let window = provider.contextWindow(of: target.model) else { return .unknownWindow(chat) }
        // A thinking budget is output too: Anthropic is sent it on top of max_tokens.
        let reserve = ContextFitter.reserve(
            maxTokens: chat.maxTokens, maxOutputTokens: provider.maxOutputTokens(of: target.model), window: window
        ) + (chat.thinkingBudget ?? 0)
        let fitter = ContextFitter(window: window, reserve: reserve)
        let counts = PromptTokenCounts(estimating: chat)
        let estimate = fitter.measure(counts, exactPromptTokens: nil)
        if estimate.fits { return .send(chat, trimmed: 0, promptTokensEstimated: estimate.tokens) }

        let exact = await self.exactPromptTokens(of: chat, target: target, provider: provider, deadline: deadline)
        guard mode == .truncateOldest else {
            let whole = fitter.measure(counts, exactPromptTokens: exact)
            guard whole.fits else { return .tooLarge(promptTokens: whole.tokens, window: window, reserve: reserve) }
            return .send(chat, trimmed: 0, promptTokensEstimated: whole.tokens)
        }
        switch fitter.fit(messages: chat.messages, counts: counts, exactPromptTokens: exact) {
        case .fits(let messages, let trimmed, let promptTokens, _):
            var fitted = chat
            fitted.messages = messages
            return .send(fitted, trimmed: trimmed, promptTokensEstimated: promptTokens)
        case .cannotFit(let promptTokens, _, let window, let reserve):
            return .tooLarge(promptTokens: promptTokens, window: window, reserve: reserve)
        }
    }

    /// The provider's count of the whole prompt, or nil when it has no count endpoint or the count failed.
    private func exactPromptTokens(
        of chat: ChatRequest,
        target: TargetRef,
        provider: ProviderRegistry.Provider,
        deadline: ContinuousClock.Instant
    ) async -> Int? {
        guard provider.keyProblem == nil,
            let request = provider.adapter.countTokensRequest(chat, model: target.model, endpoint: provider.endpoint)
        else { return nil }
        let left = deadline - self.clock.now
        guard left > .zero else { return nil }
        var status = 0
        var body: [UInt8] = []
        do {
            let response = self.executor.send(provider.prepare(request, deadline: min(Self.countTimeout, left)))
            for try await part in response {
                switch part {
                case .head(let head): status = head.status
                case .body(let bytes):
                    body += bytes
                    // A count is a few dozen bytes: a body past this is no count.
                    guard body.count <= Self.maxCountBody else { return nil }
                }
            }
        } catch {
            // Transport failure, deadline or cancellation: the estimate decides.
            return nil
        }
        // A count beyond any window is no count either (and would overflow the scaling).
        guard (200..<300).contains(status), let tokens = provider.adapter.parseTokenCount(body),
            (0...Self.maxCount).contains(tokens)
        else {
            return nil
        }
        return tokens
    }
}
