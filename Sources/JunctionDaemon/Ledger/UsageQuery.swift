/// What `usage.get` can group and filter by.
enum UsageDimension: String, CaseIterable, Sendable {
    case client, uid, provider, model, route, day, hour
}

/// One group key's value: text (client, provider, model, route), a number (uid; days or hours since 1970 in
/// the query's UTC offset for day and hour), or none (a request without a client, a route, ...).
enum UsageKey: Sendable, Hashable {
    case none
    case text(String)
    case number(Int64)
}

/// A usage query over `[since, until)`, grouped by `groupBy` (in that order), filtered by `filters`.
struct UsageQuery: Sendable, Equatable {
    var since: Int64
    var until: Int64
    var groupBy: [UsageDimension] = []
    /// Rows whose dimension has exactly this value (`.none`: no value).
    var filters: [UsageDimension: UsageKey] = [:]
    /// "ok", "error" (every outcome but ok), or one error kind's name.
    var outcome: String?
    /// Only this uid's rows (set for callers who are not administrators).
    var restrictedToUID: UInt32?
    /// Day and hour buckets start at local midnight and on the hour of this offset from UTC.
    var utcOffsetSeconds = 0
}

/// Sums over a set of request rows.
struct UsageTotals: Sendable, Equatable {
    var requests = 0
    /// Requests whose outcome is not "ok".
    var errors = 0
    var promptTokens = 0
    var completionTokens = 0
    var cachedTokens = 0
    var cacheWriteTokens = 0
    var reasoningTokens = 0
    /// Over the rows with a known cost, integer micro-USD.
    var costMicroUSD = 0
    /// Rows whose cost is unknown (not in `costMicroUSD`).
    var costUnknown = 0
    /// Rated requests (`feedback`), and the sum of their scores (for the mean).
    var feedbackCount = 0
    var feedbackScoreSum = 0.0

    static func + (lhs: Self, rhs: Self) -> Self {
        UsageTotals(
            requests: lhs.requests + rhs.requests,
            errors: lhs.errors + rhs.errors,
            promptTokens: lhs.promptTokens + rhs.promptTokens,
            completionTokens: lhs.completionTokens + rhs.completionTokens,
            cachedTokens: lhs.cachedTokens + rhs.cachedTokens,
            cacheWriteTokens: lhs.cacheWriteTokens + rhs.cacheWriteTokens,
            reasoningTokens: lhs.reasoningTokens + rhs.reasoningTokens,
            costMicroUSD: lhs.costMicroUSD + rhs.costMicroUSD,
            costUnknown: lhs.costUnknown + rhs.costUnknown,
            feedbackCount: lhs.feedbackCount + rhs.feedbackCount,
            feedbackScoreSum: lhs.feedbackScoreSum + rhs.feedbackScoreSum
        )
    }
}

/// One group of a usage report: its key values (parallel to the query's `groupBy`) and its sums.
struct UsageRow: Sendable, Equatable {
    var keys: [UsageKey]
    var totals: UsageTotals
}

/// A usage query's answer: one row per group (sorted by key) and the totals over every row.
struct UsageReport: Sendable, Equatable {
    var query: UsageQuery
    var rows: [UsageRow]
    var totals: UsageTotals
}

/// What a budget has already spent, for seeding it at start.
struct LedgerSpend: Sendable, Equatable {
    var microUSD = 0
    /// Prompt and completion tokens.
    var tokens = 0
    var requests = 0
    /// Requests whose cost is unknown (NULL).
    var unknownCost = 0
}
