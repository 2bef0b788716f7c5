/// One budget as a caller sees it now (what `quota.get` and `generate` results show).
public struct BudgetStatus: Sendable, Equatable {
    public var budget: String
    public var match: BudgetMatch
    /// The caller is an admin and the budget exempts admins: shown, but it does not limit them.
    public var exempt: Bool
    /// The current day and month (Unix ms); `end` is when each resets.
    public var day: PeriodBounds
    public var month: PeriodBounds
    /// Settled use of the day and the month (requests: admitted).
    public var dayUsage: BudgetUsage
    public var monthUsage: BudgetUsage
    /// Held by requests still running.
    public var reservedMicroUSD: MicroUSD
    public var reservedTokens: Int
    public var inFlight: Int
    /// Requests of the day whose cost is unknown (charged as zero).
    public var unknownCostRequests: Int
    /// One entry per configured limit; nil when the budget sets none.
    public var dailyUSD: BudgetLimitStatus?
    public var monthlyUSD: BudgetLimitStatus?
    public var dailyTokens: BudgetLimitStatus?
    public var dailyRequests: BudgetLimitStatus?
    public var rpm: BudgetLimitStatus?
    public var maxTokensPerRequest: Int?
}

/// One limit of a budget now.
public struct BudgetLimitStatus: Sendable, Equatable {
    /// In micro-USD, tokens or requests.
    public var limit: Int
    /// Settled use in the period (requests: admitted; rpm: admitted in the last 60 s).
    public var used: Int
    public var reserved: Int
    /// What a new request may still reserve: `limit − used − reserved`, never below zero.
    public var remaining: Int
    /// When the period ends, or for `rpm` when the oldest request in the window leaves it (now when none is in it).
    public var resetsAt: Int64

    public init(limit: Int, used: Int, reserved: Int, resetsAt: Int64) {
        self.limit = limit
        self.used = used
        self.reserved = reserved
        self.remaining = max(0, limit - used - reserved)
        self.resetsAt = resetsAt
    }
}
