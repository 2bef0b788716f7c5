/// A budget's spend crossed one of its `alert_at` thresholds: fires once per threshold and period.
public struct BudgetAlert: Sendable, Equatable {
    public var budget: String
    /// `.day` (of `daily_usd`) or `.month` (of `monthly_usd`).
    public var period: BudgetPeriod
    /// The fraction crossed, from `alert_at`.
    public var threshold: Double
    public var spent: MicroUSD
    public var limit: MicroUSD
    /// When the period ends (Unix ms).
    public var resetsAt: Int64

    public init(budget: String, period: BudgetPeriod, threshold: Double, spent: MicroUSD, limit: MicroUSD,
                resetsAt: Int64) {
        self.budget = budget
        self.period = period
        self.threshold = threshold
        self.spent = spent
        self.limit = limit
        self.resetsAt = resetsAt
    }
}
