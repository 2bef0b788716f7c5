import JunctionCore

/// `[accounting]` and the `[budgets.NAME]` tables: how spend is counted and limited.
struct AccountingConfig: Sendable, Equatable {
    /// IANA name of the zone whose midnights and 1sts start budget periods.
    var timezone = "UTC"
    /// What USD budgets do with requests for models of unknown price.
    var unknownPrice: UnknownPricePolicy = .refuse
    /// In file order.
    var budgets: [BudgetRule] = []
}
