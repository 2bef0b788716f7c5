extension BudgetRefusal {
    /// A refusal with its message, which names the budget and the limit, gives the numbers, and says what to do:
    /// when the limit resets (in the accounting zone's local time), or what to change when waiting cannot help.
    public init(
        budget: String,
        period: BudgetPeriod,
        kind: BudgetLimitKind,
        limit: Int,
        spent: Int,
        reserved: Int,
        requested: Int,
        resetsAt: Int64?,
        now: Int64,
        calendar: any PeriodCalendar
    ) {
        self.budget = budget
        self.period = period
        self.kind = kind
        self.limit = limit
        self.spent = spent
        self.reserved = reserved
        self.requested = requested
        self.resetsAt = resetsAt
        self.message = ""
        self.message = self.composedMessage(now: now, calendar: calendar)
    }

    /// The message for the fields set above.
    private func composedMessage(now: Int64, calendar: any PeriodCalendar) -> String {
        let (budget, period, kind, limit) = (self.budget, self.period, self.kind, self.limit)
        let (spent, reserved, requested, resetsAt) = (self.spent, self.reserved, self.requested, self.resetsAt)
        let adjective = period == .month ? "monthly" : "daily"
        let key = "[budgets.\(budget)] " + (period == .month ? "monthly_usd" : "daily_usd")
        let reset = resetsAt.map { "resets at \(calendar.rfc3339($0))" } ?? ""
        let orRunning = reserved > 0 ? ", once running requests finish," : ""
        switch kind {
        case .unknownPrice:
            return "budget \(budget) has a \(adjective) limit in USD (\(Self.usd(limit))), but the model's price is "
                + "unknown, so the request's cost cannot be reserved; configure a price for the model, use a priced "
                + "model, or set [accounting] unknown_price = \"allow\""
        case .usd where resetsAt == nil:
            return "budget \(budget): this request may cost up to \(Self.usd(requested)), more than the whole "
                + "\(adjective) limit of \(Self.usd(limit)); lower max_tokens or shorten the prompt, or raise \(key)"
        case .usd:
            return "budget \(budget): \(adjective) limit \(Self.usd(limit)) reached (\(Self.usd(spent)) spent, "
                + "\(Self.usd(reserved)) reserved by running requests, this request up to \(Self.usd(requested))); "
                + "\(reset); retry then\(orRunning) or with a lower max_tokens, or raise \(key)"
        case .tokens where resetsAt == nil:
            return "budget \(budget): this request may use up to \(requested) tokens, more than the whole daily "
                + "token limit of \(limit); lower max_tokens or shorten the prompt, or raise [budgets.\(budget)] "
                + "daily_tokens"
        case .tokens:
            return "budget \(budget): daily token limit \(limit) reached (\(spent) used, \(reserved) reserved by "
                + "running requests, this request up to \(requested)); \(reset); retry then\(orRunning) or with a "
                + "lower max_tokens, or raise [budgets.\(budget)] daily_tokens"
        case .requests:
            return "budget \(budget): daily request limit \(limit) reached (\(spent) requests today); \(reset); "
                + "retry then, or raise [budgets.\(budget)] daily_requests"
        case .rpm:
            let wait = resetsAt.map { max(1, ($0 - now + 999) / 1000) } ?? 1
            return "budget \(budget): rate limit of \(limit) requests per minute reached; retry in \(wait) s "
                + "(at \(resetsAt.map { calendar.rfc3339($0) } ?? "once a minute has passed")), or raise "
                + "[budgets.\(budget)] rpm"
        }
    }

    /// `$5.00`, `$4.98`, `$0.0031`: cents at least, more decimals only when they are not zero.
    static func usd(_ micro: MicroUSD) -> String {
        let sign = micro < 0 ? "-" : ""
        let magnitude = micro.magnitude
        var fraction = String(magnitude % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.count > 2, fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(sign)$\(magnitude / 1_000_000).\(fraction)"
    }
}
