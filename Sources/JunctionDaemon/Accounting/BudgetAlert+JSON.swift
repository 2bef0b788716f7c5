import JunctionCore

extension BudgetAlert {
    /// `{budget, period, threshold, spent_usd, limit_usd, resets_at}`: what the alert log line and notification
    /// carry.
    func json(calendar: any PeriodCalendar) -> JSONValue {
        [
            "budget": .string(self.budget),
            "period": .string(self.period.rawValue),
            "threshold": .double(self.threshold),
            "spent_usd": .double(MicroUSDText.usd(self.spent)),
            "limit_usd": .double(MicroUSDText.usd(self.limit)),
            "resets_at": .string(calendar.rfc3339(self.resetsAt)),
        ]
    }
}
