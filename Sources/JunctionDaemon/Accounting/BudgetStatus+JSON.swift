import JunctionCore

extension BudgetStatus {
    /// One budget as `generate` results (`budget`) and `quota.get` show it: per period what was spent and what is
    /// left, and when it resets, so that a client can slow down before it is refused. Limits the budget does not
    /// set are left out.
    func json(calendar: any PeriodCalendar) -> JSONValue {
        var day: JSONObject = [
            "start": .string(calendar.rfc3339(self.day.start)),
            "resets_at": .string(calendar.rfc3339(self.day.end)),
            "spent_usd": .double(MicroUSDText.usd(self.dayUsage.microUSD)),
            "tokens": .int(self.dayUsage.tokens),
            "requests": .int(self.dayUsage.requests),
        ]
        if let limit = self.dailyUSD {
            day["limit_usd"] = .double(MicroUSDText.usd(limit.limit))
            day["reserved_usd"] = .double(MicroUSDText.usd(limit.reserved))
            day["remaining_usd"] = .double(MicroUSDText.usd(limit.remaining))
        }
        if let limit = self.dailyTokens {
            day["limit_tokens"] = .int(limit.limit)
            day["reserved_tokens"] = .int(limit.reserved)
            day["remaining_tokens"] = .int(limit.remaining)
        }
        if let limit = self.dailyRequests {
            day["limit_requests"] = .int(limit.limit)
            day["remaining_requests"] = .int(limit.remaining)
        }
        if self.unknownCostRequests > 0 { day["unknown_cost_requests"] = .int(self.unknownCostRequests) }

        var month: JSONObject = [
            "start": .string(calendar.rfc3339(self.month.start)),
            "resets_at": .string(calendar.rfc3339(self.month.end)),
            "spent_usd": .double(MicroUSDText.usd(self.monthUsage.microUSD)),
            "tokens": .int(self.monthUsage.tokens),
            "requests": .int(self.monthUsage.requests),
        ]
        if let limit = self.monthlyUSD {
            month["limit_usd"] = .double(MicroUSDText.usd(limit.limit))
            month["reserved_usd"] = .double(MicroUSDText.usd(limit.reserved))
            month["remaining_usd"] = .double(MicroUSDText.usd(limit.remaining))
        }

        var object: JSONObject = [
            "budget": .string(self.budget),
            "match": self.match.json,
            "day": .object(day),
            "month": .object(month),
            "in_flight": .int(self.inFlight),
        ]
        if let rpm = self.rpm {
            object["rpm"] = [
                "limit": .int(rpm.limit),
                "in_window": .int(rpm.used),
                "remaining": .int(rpm.remaining),
                "resets_at": .string(calendar.rfc3339(rpm.resetsAt)),
            ]
        }
        if let cap = self.maxTokensPerRequest { object["max_tokens_per_request"] = .int(cap) }
        if self.exempt { object["exempt"] = true }
        return .object(object)
    }
}

extension BudgetMatch {
    /// `"global"`, `{"uid": 1000}`, `{"gid": 100}` or `{"client": "batch"}`: as the configuration writes it.
    var json: JSONValue {
        switch self {
        case .global: "global"
        case .uid(let uid): ["uid": .int(uid)]
        case .gid(let gid): ["gid": .int(gid)]
        case .client(let name): ["client": .string(name)]
        }
    }
}
