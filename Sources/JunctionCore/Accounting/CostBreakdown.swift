/// What one answer cost, part by part, in micro-USD. `total` is the sum of the parts.
public struct CostBreakdown: Sendable, Equatable {
    /// Uncached prompt tokens.
    public var input: MicroUSD
    /// Prompt tokens read from the cache.
    public var cachedInput: MicroUSD
    /// Prompt tokens written to the cache, 5-minute and 1-hour together.
    public var cacheWrite: MicroUSD
    /// Completion tokens other than reasoning.
    public var output: MicroUSD
    /// Reasoning tokens.
    public var reasoning: MicroUSD

    public init(
        input: MicroUSD = 0, cachedInput: MicroUSD = 0, cacheWrite: MicroUSD = 0, output: MicroUSD = 0,
        reasoning: MicroUSD = 0
    ) {
        self.input = input
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
        self.output = output
        self.reasoning = reasoning
    }

    public static let zero = CostBreakdown()

    public var total: MicroUSD {
        self.input + self.cachedInput + self.cacheWrite + self.output + self.reasoning
    }

    /// `{input_usd, cached_input_usd, cache_write_usd, output_usd, reasoning_usd, total_usd}`: dollars as JSON
    /// numbers with exactly six decimals, written from the integers (no floating-point rounding on the way).
    public var json: JSONValue {
        [
            "input_usd": Self.number(self.input),
            "cached_input_usd": Self.number(self.cachedInput),
            "cache_write_usd": Self.number(self.cacheWrite),
            "output_usd": Self.number(self.output),
            "reasoning_usd": Self.number(self.reasoning),
            "total_usd": Self.number(self.total),
        ]
    }

    private static func number(_ micro: MicroUSD) -> JSONValue {
        .number(MicroUSDText.decimal(micro))
    }
}
