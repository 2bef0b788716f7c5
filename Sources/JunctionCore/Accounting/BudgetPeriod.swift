/// The period a limit counts over.
public enum BudgetPeriod: String, Sendable, Equatable {
    /// The calendar day in the accounting time zone.
    case day
    /// The calendar month in the accounting time zone.
    case month
    /// The rolling 60 seconds before now (`rpm`).
    case minute
}

/// Which limit of a budget refused a request.
public enum BudgetLimitKind: String, Sendable, Equatable {
    /// `daily_usd` or `monthly_usd`.
    case usd
    /// `daily_tokens`.
    case tokens
    /// `daily_requests`.
    case requests
    /// `rpm`.
    case rpm
    /// A USD limit that cannot reserve the request's cost: its model has no known price.
    case unknownPrice = "unknown_price"
}
