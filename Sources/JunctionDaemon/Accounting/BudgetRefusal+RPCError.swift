import JunctionCore
import JunctionRPC

extension BudgetRefusal {
    /// The `-32003` error a refused request answers: the message, and in `data` the budget, the period, the limit
    /// broken with its numbers (dollars for `usd` and `unknown_price`, counts otherwise) and `resets_at` (RFC 3339
    /// in the accounting zone; null when waiting would not help).
    func rpcError(calendar: any PeriodCalendar) -> RPCError {
        var data: JSONObject = [
            "budget": .string(self.budget),
            "period": .string(self.period.rawValue),
            "kind": .string(self.kind.rawValue),
        ]
        switch self.kind {
        case .usd, .unknownPrice:
            data["limit_usd"] = .double(MicroUSDText.usd(self.limit))
            data["spent_usd"] = .double(MicroUSDText.usd(self.spent))
            data["reserved_usd"] = .double(MicroUSDText.usd(self.reserved))
            if self.kind == .usd { data["requested_usd"] = .double(MicroUSDText.usd(self.requested)) }
        case .tokens:
            data["limit_tokens"] = .int(self.limit)
            data["spent_tokens"] = .int(self.spent)
            data["reserved_tokens"] = .int(self.reserved)
            data["requested_tokens"] = .int(self.requested)
        case .requests, .rpm:
            data["limit_requests"] = .int(self.limit)
            data["admitted_requests"] = .int(self.spent)
        }
        data["resets_at"] = self.resetsAt.map { .string(calendar.rfc3339($0)) } ?? .null
        return RPCError(code: RPCErrorCode.budgetExhausted.rawValue, message: self.message, data: .object(data))
    }
}
