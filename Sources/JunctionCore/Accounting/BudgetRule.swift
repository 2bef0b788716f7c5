/// Whom a budget applies to.
public enum BudgetMatch: Sendable, Equatable {
    /// Every caller.
    case global
    case uid(UInt32)
    /// The caller's primary group.
    case gid(UInt32)
    /// The client name a request gives (cooperative: a caller chooses its own name).
    case client(String)

    /// Whether the budget applies to `caller`.
    public func matches(_ caller: BudgetCaller) -> Bool {
        switch self {
        case .global: true
        case .uid(let uid): caller.uid == uid
        case .gid(let gid): caller.gid == gid
        case .client(let name): caller.client == name
        }
    }
}

/// `[budgets.NAME]`: the limits of one budget, as configured. Every limit is optional; nil means unlimited.
public struct BudgetRule: Sendable, Equatable {
    public static let defaultAlertThresholds = [0.5, 0.8, 1.0]

    public var name: String
    public var match: BudgetMatch
    /// Spend per calendar day in the accounting time zone.
    public var dailyUSD: MicroUSD?
    /// Spend per calendar month, starting on the 1st in the accounting time zone.
    public var monthlyUSD: MicroUSD?
    /// Tokens (prompt and completion) per calendar day.
    public var dailyTokens: Int?
    /// Requests admitted per calendar day.
    public var dailyRequests: Int?
    /// Requests admitted per rolling 60 seconds.
    public var rpm: Int?
    /// Cap on a request's `max_tokens`, and its value when the request gives none.
    public var maxTokensPerRequest: Int?
    /// Fractions of `dailyUSD` and `monthlyUSD` (in (0, 1], ascending) at which an alert fires, once per period.
    public var alertAt: [Double]
    /// Whether admin callers are exempt from this budget's limits (their spend still counts in it).
    public var exemptAdmins: Bool

    public init(
        name: String,
        match: BudgetMatch = .global,
        dailyUSD: MicroUSD? = nil,
        monthlyUSD: MicroUSD? = nil,
        dailyTokens: Int? = nil,
        dailyRequests: Int? = nil,
        rpm: Int? = nil,
        maxTokensPerRequest: Int? = nil,
        alertAt: [Double] = BudgetRule.defaultAlertThresholds,
        exemptAdmins: Bool = false
    ) {
        self.name = name
        self.match = match
        self.dailyUSD = dailyUSD
        self.monthlyUSD = monthlyUSD
        self.dailyTokens = dailyTokens
        self.dailyRequests = dailyRequests
        self.rpm = rpm
        self.maxTokensPerRequest = maxTokensPerRequest
        self.alertAt = alertAt
        self.exemptAdmins = exemptAdmins
    }

    /// Whether the budget limits spend in dollars (and so needs to know what a request may cost).
    public var limitsUSD: Bool { self.dailyUSD != nil || self.monthlyUSD != nil }

    /// Whether `caller` is limited by this budget (it must also match it).
    public func limits(_ caller: BudgetCaller) -> Bool {
        !(caller.isAdmin && self.exemptAdmins)
    }
}
