// TEMPORARY (lead's stand-ins until helper P's branch merges; deleted at the merge).
public typealias MicroUSD = Int
public struct ModelPrice: Sendable, Equatable {
    public var input: Int
    public var output: Int
    public init(input: Int, output: Int) {
        self.input = input
        self.output = output
    }
}
public struct CostBreakdown: Sendable, Equatable {
    public var input: MicroUSD
    public var cachedInput: MicroUSD
    public var cacheWrite: MicroUSD
    public var output: MicroUSD
    public var reasoning: MicroUSD
    public init(input: MicroUSD, cachedInput: MicroUSD, cacheWrite: MicroUSD, output: MicroUSD, reasoning: MicroUSD) {
        self.input = input
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
        self.output = output
        self.reasoning = reasoning
    }
    public var total: MicroUSD { self.input + self.cachedInput + self.cacheWrite + self.output + self.reasoning }
}
public enum Pricing {
    public static func cost(of usage: Usage, at price: ModelPrice) -> CostBreakdown {
        CostBreakdown(
            input: usage.promptTokens * price.input / 1_000_000, cachedInput: 0, cacheWrite: 0,
            output: usage.completionTokens * price.output / 1_000_000, reasoning: 0
        )
    }
    public static func worstCase(promptTokens: Int, outputTokens: Int, at price: ModelPrice) -> MicroUSD {
        (promptTokens * price.input + outputTokens * price.output + 999_999) / 1_000_000
    }
}
