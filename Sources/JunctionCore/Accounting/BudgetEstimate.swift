/// What a request may cost at most, reserved at admission: the price of its prompt and of `max_tokens` of output.
public struct BudgetEstimate: Sendable, Equatable {
    /// nil: the model has no known price (see `UnknownPricePolicy`).
    public var microUSD: MicroUSD?
    /// Prompt tokens plus the output tokens it may generate.
    public var tokens: Int

    public init(microUSD: MicroUSD?, tokens: Int) {
        self.microUSD = microUSD
        self.tokens = tokens
    }
}

/// What a request really cost, charged when its reservation is settled (billed attempts included, also when the
/// request failed or was cancelled).
public struct BudgetSpend: Sendable, Equatable {
    /// nil: unknown (charged as zero and counted in `unknownCostRequests`).
    public var microUSD: MicroUSD?
    public var tokens: Int

    public static let none = BudgetSpend(microUSD: 0, tokens: 0)

    public init(microUSD: MicroUSD?, tokens: Int) {
        self.microUSD = microUSD
        self.tokens = tokens
    }
}

/// What one period of a budget has used: settled spend and tokens, and the requests admitted in it.
public struct BudgetUsage: Sendable, Equatable {
    public var microUSD: MicroUSD
    public var tokens: Int
    public var requests: Int

    public init(microUSD: MicroUSD = 0, tokens: Int = 0, requests: Int = 0) {
        self.microUSD = microUSD
        self.tokens = tokens
        self.requests = requests
    }
}
