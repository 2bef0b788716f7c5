/// The answer to `BudgetBook.admit`.
public enum BudgetAdmission: Sendable, Equatable {
    case admitted(BudgetReservation)
    case refused(BudgetRefusal)

    /// The reservation, if admitted.
    public var reservation: BudgetReservation? {
        guard case .admitted(let reservation) = self else { return nil }
        return reservation
    }

    /// The refusal, if refused.
    public var refusal: BudgetRefusal? {
        guard case .refused(let refusal) = self else { return nil }
        return refusal
    }
}

/// What an admitted request holds on the budgets that matched it, until it is settled.
public struct BudgetReservation: Sendable, Equatable {
    /// Unique within one `BudgetBook` (and the books that replace it on reloads).
    public let id: UInt64
    /// The budgets holding it, in configuration order; empty when none matched.
    public let budgets: [String]
    /// The reserved worst case (0 when the price is unknown and `unknown_price = "allow"`); grown by `extend` for
    /// each further attempt.
    public internal(set) var microUSD: MicroUSD
    public internal(set) var tokens: Int
    /// When it was admitted (Unix ms): its actual cost is charged to the periods containing this moment.
    public let admittedAt: Int64
}

/// Why a request was refused, with what the `-32003` error's data shows.
public struct BudgetRefusal: Sendable, Equatable {
    public var budget: String
    public var period: BudgetPeriod
    public var kind: BudgetLimitKind
    /// In micro-USD for `usd` and `unknown_price`, tokens for `tokens`, requests for `requests` and `rpm`.
    public var limit: Int
    /// Settled use in the period (requests admitted, for `requests` and `rpm`).
    public var spent: Int
    /// Held by requests still running.
    public var reserved: Int
    /// What this request would have reserved (1 for `requests` and `rpm`).
    public var requested: Int
    /// When the limit has room again (Unix ms); nil when waiting would not help (the price is unknown, or the
    /// request alone needs more than the whole limit).
    public var resetsAt: Int64?
    /// One sentence for the caller, saying what happened and what to do.
    public var message: String
}
