/// The token counts a context fitting works from: the system prompt's, and each message's (its per-message
/// overhead included), in the order of the messages.
public struct PromptTokenCounts: Sendable, Equatable {
    /// The separate system prompt (`ChatRequest.system`); system messages in the list are counted in `messages`.
    public var system: Int
    public var messages: [Int]

    public init(system: Int, messages: [Int]) {
        self.system = system
        self.messages = messages
    }

    /// Junction's estimate (`TokenEstimate`: 4 UTF-8 bytes a token, plus 4 a message): the counts sum to
    /// `ChatRequest.estimatedPromptTokens`.
    /// The structured-output instruction some adapters add to the system prompt (with the schema, for the
    /// JSON-mode kinds) is counted too: the safe side for the kinds that carry the schema natively.
    public init(estimating chat: ChatRequest) {
        self.system = TokenEstimate.tokens(in: chat.system ?? "")
            + (chat.responseFormat.systemInstruction.map { 4 + TokenEstimate.tokens(in: $0) } ?? 0)
        self.messages = chat.messages.map { 4 + TokenEstimate.tokens(in: $0.content) }
    }

    /// The whole prompt.
    public var total: Int { self.messages.reduce(self.system, +) }
}
