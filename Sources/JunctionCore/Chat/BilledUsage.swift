/// What a provider billed for one attempt: the usage it reported, or — when it answered 2xx and then failed or was
/// abandoned before reporting any — an estimate from the prompt and the text it had sent (a stream cut after 40
/// tokens was billed for them).
public struct BilledUsage: Sendable, Equatable {
    public var usage: Usage
    /// No usage was reported: `usage` is estimated (`TokenEstimate`).
    public var estimated: Bool

    public init(usage: Usage, estimated: Bool) {
        self.usage = usage
        self.estimated = estimated
    }

    /// The estimate for an attempt that produced `text` (and `reasoning`) from a prompt of `promptTokens`.
    public static func estimate(promptTokens: Int, text: String, reasoning: String = "") -> BilledUsage {
        let reasoningTokens = reasoning.isEmpty ? 0 : TokenEstimate.tokens(in: reasoning)
        return BilledUsage(
            usage: Usage(
                promptTokens: promptTokens,
                completionTokens: TokenEstimate.tokens(in: text) + reasoningTokens,
                reasoningTokens: reasoningTokens
            ),
            estimated: true
        )
    }
}
