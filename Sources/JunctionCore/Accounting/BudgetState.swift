/// What one admitted request holds on one budget.
struct BudgetHold: Sendable, Equatable {
    var microUSD: MicroUSD
    var tokens: Int
    var admittedAt: Int64
}

/// One budget's counts: the current day and month, the reservations of running requests, the rpm window and the
/// alerts already fired. Periods move forward lazily, on the first call at or after their end.
struct BudgetState: Sendable, Equatable {
    var rule: BudgetRule
    private(set) var day = PeriodBounds.beforeAnyTime
    private(set) var month = PeriodBounds.beforeAnyTime
    private(set) var dayUsage = BudgetUsage()
    private(set) var monthUsage = BudgetUsage()
    private(set) var unknownCostRequests = 0
    private(set) var holds: [UInt64: BudgetHold] = [:]
    private(set) var reservedMicroUSD: MicroUSD = 0
    private(set) var reservedTokens = 0
    private var recent = RecentAdmissions()
    private var firedDay: Set<Double> = []
    private var firedMonth: Set<Double> = []
    /// Whether `seed` gave it the ledger's counts.
    private(set) var isSeeded = false

    init(rule: BudgetRule) {
        self.rule = rule
    }

    /// Starts a new day (and month) when `now` is at or past the current one's end. Reservations still held carry
    /// over: they stay reserved in the new period, while what they are settled to goes to the period they were
    /// admitted in.
    mutating func rollOver(to now: Int64, calendar: any PeriodCalendar) {
        if now >= self.month.end {
            let month = calendar.month(containing: now)
            // A calendar that does not contain `now` would reset the counts on every call; UTC is the safe answer.
            self.month = month.contains(now) ? month : FixedOffsetCalendar.utc.month(containing: now)
            self.monthUsage = BudgetUsage()
            self.firedMonth = []
        }
        if now >= self.day.end {
            let day = calendar.day(containing: now)
            self.day = day.contains(now) ? day : FixedOffsetCalendar.utc.day(containing: now)
            self.dayUsage = BudgetUsage()
            self.unknownCostRequests = 0
            self.firedDay = []
        }
    }

    /// Every limit the request would break (already rolled over to `now`).
    func refusals(
        for estimate: BudgetEstimate,
        at now: Int64,
        unknownPrice: UnknownPricePolicy,
        calendar: any PeriodCalendar,
        countsAsRequest: Bool = true
    ) -> [BudgetRefusal] {
        var refusals: [BudgetRefusal] = []
        func refuse(_ period: BudgetPeriod, _ kind: BudgetLimitKind, limit: Int, spent: Int, reserved: Int,
                    requested: Int, resetsAt: Int64?) {
            refusals.append(
                BudgetRefusal(
                    budget: self.rule.name, period: period, kind: kind, limit: limit, spent: spent, reserved: reserved,
                    requested: requested, resetsAt: resetsAt, now: now, calendar: calendar
                )
            )
        }
        if countsAsRequest, let rpm = self.rule.rpm, self.recent.count(at: now) >= rpm {
            let count = self.recent.count(at: now)
            refuse(.minute, .rpm, limit: rpm, spent: count, reserved: 0, requested: 1,
                   resetsAt: self.recent.nextExpiry(at: now) ?? now)
        }
        if countsAsRequest, let limit = self.rule.dailyRequests, self.dayUsage.requests + 1 > limit {
            refuse(.day, .requests, limit: limit, spent: self.dayUsage.requests, reserved: 0, requested: 1,
                   resetsAt: self.day.end)
        }
        func checkUSD(_ period: BudgetPeriod, limit: MicroUSD?, spent: MicroUSD, resetsAt: Int64) {
            guard let limit else { return }
            guard let cost = estimate.microUSD else {
                if unknownPrice == .refuse {
                    refuse(period, .unknownPrice, limit: limit, spent: spent, reserved: self.reservedMicroUSD,
                           requested: 0, resetsAt: nil)
                }
                return
            }
            if spent + self.reservedMicroUSD + cost > limit {
                refuse(period, .usd, limit: limit, spent: spent, reserved: self.reservedMicroUSD, requested: cost,
                       resetsAt: cost > limit ? nil : resetsAt)
            }
        }
        checkUSD(.day, limit: self.rule.dailyUSD, spent: self.dayUsage.microUSD, resetsAt: self.day.end)
        checkUSD(.month, limit: self.rule.monthlyUSD, spent: self.monthUsage.microUSD, resetsAt: self.month.end)
        if let limit = self.rule.dailyTokens, self.dayUsage.tokens + self.reservedTokens + estimate.tokens > limit {
            refuse(.day, .tokens, limit: limit, spent: self.dayUsage.tokens, reserved: self.reservedTokens,
                   requested: estimate.tokens, resetsAt: estimate.tokens > limit ? nil : self.day.end)
        }
        return refusals
    }

    /// Grows a running request's hold (another attempt of it may be billed too); false when it holds nothing here.
    mutating func extend(_ id: UInt64, microUSD: MicroUSD, tokens: Int) -> Bool {
        guard self.holds[id] != nil else { return false }
        self.holds[id]?.microUSD += microUSD
        self.holds[id]?.tokens += tokens
        self.reservedMicroUSD += microUSD
        self.reservedTokens += tokens
        return true
    }

    /// Reserves an admitted request (already rolled over to its admission time).
    mutating func hold(_ id: UInt64, _ hold: BudgetHold) {
        self.holds[id] = hold
        self.reservedMicroUSD += hold.microUSD
        self.reservedTokens += hold.tokens
        self.dayUsage.requests += 1
        self.monthUsage.requests += 1
        if self.rule.rpm != nil { self.recent.record(at: hold.admittedAt) }
    }

    /// Takes back an admission as if it never happened (the fleet refused what this book admitted): the hold is
    /// freed and the request no longer counts in its day, month and rpm window.
    mutating func withdraw(_ id: UInt64, at now: Int64, calendar: any PeriodCalendar) {
        guard let hold = self.holds.removeValue(forKey: id) else { return }
        self.rollOver(to: now, calendar: calendar)
        self.reservedMicroUSD -= hold.microUSD
        self.reservedTokens -= hold.tokens
        if hold.admittedAt >= self.day.start { self.dayUsage.requests = max(0, self.dayUsage.requests - 1) }
        if hold.admittedAt >= self.month.start { self.monthUsage.requests = max(0, self.monthUsage.requests - 1) }
        if self.rule.rpm != nil { self.recent.remove(at: hold.admittedAt) }
    }

    /// Frees reservation `id` and charges `actual` to the day and month it was admitted in, if they are still the
    /// current ones; returns the alerts the charge fires. Nothing happens for an id this budget does not hold.
    mutating func settle(
        _ id: UInt64,
        actual: BudgetSpend,
        at now: Int64,
        calendar: any PeriodCalendar
    ) -> [BudgetAlert] {
        guard let hold = self.holds.removeValue(forKey: id) else { return [] }
        self.rollOver(to: now, calendar: calendar)
        self.reservedMicroUSD -= hold.microUSD
        self.reservedTokens -= hold.tokens
        let cost = actual.microUSD ?? 0
        let tokens = actual.tokens
        if hold.admittedAt >= self.day.start {
            self.dayUsage.microUSD += cost
            self.dayUsage.tokens += tokens
            if actual.microUSD == nil { self.unknownCostRequests += 1 }
        }
        if hold.admittedAt >= self.month.start {
            self.monthUsage.microUSD += cost
            self.monthUsage.tokens += tokens
        }
        return self.fireCrossedThresholds(notify: true)
    }

    /// Replaces the current period's counts with the ledger's (rolled over to `now` first). Thresholds already
    /// crossed are marked as fired, so that a restart does not repeat their alerts.
    mutating func seed(day: BudgetUsage, month: BudgetUsage, unknownCostRequests: Int, at now: Int64,
                       calendar: any PeriodCalendar) {
        self.rollOver(to: now, calendar: calendar)
        self.dayUsage = day
        self.monthUsage = month
        self.unknownCostRequests = unknownCostRequests
        self.isSeeded = true
        _ = self.fireCrossedThresholds(notify: false)
    }

    /// The alerts of thresholds crossed and not yet fired in the current periods, marking them fired.
    private mutating func fireCrossedThresholds(notify: Bool) -> [BudgetAlert] {
        var alerts: [BudgetAlert] = []
        if let limit = self.rule.dailyUSD {
            alerts += Self.crossed(self.rule, .day, limit: limit, spent: self.dayUsage.microUSD, bounds: self.day,
                                   fired: &self.firedDay)
        }
        if let limit = self.rule.monthlyUSD {
            alerts += Self.crossed(self.rule, .month, limit: limit, spent: self.monthUsage.microUSD, bounds: self.month,
                                   fired: &self.firedMonth)
        }
        return notify ? alerts : []
    }

    private static func crossed(
        _ rule: BudgetRule,
        _ period: BudgetPeriod,
        limit: MicroUSD,
        spent: MicroUSD,
        bounds: PeriodBounds,
        fired: inout Set<Double>
    ) -> [BudgetAlert] {
        guard limit > 0 else { return [] }
        var alerts: [BudgetAlert] = []
        for threshold in rule.alertAt.sorted() where !fired.contains(threshold) {
            // The one conversion from the configured fraction; the comparison itself is in integer micro-USD.
            guard spent >= MicroUSD((Double(limit) * threshold).rounded(.up)) else { continue }
            fired.insert(threshold)
            alerts.append(
                BudgetAlert(budget: rule.name, period: period, threshold: threshold, spent: spent, limit: limit,
                            resetsAt: bounds.end)
            )
        }
        return alerts
    }

    /// The budget as of `now` (already rolled over), for a caller it exempts or not.
    func status(at now: Int64, exempt: Bool) -> BudgetStatus {
        let rpmInWindow = self.recent.count(at: now)
        return BudgetStatus(
            budget: self.rule.name,
            match: self.rule.match,
            exempt: exempt,
            day: self.day,
            month: self.month,
            dayUsage: self.dayUsage,
            monthUsage: self.monthUsage,
            reservedMicroUSD: self.reservedMicroUSD,
            reservedTokens: self.reservedTokens,
            inFlight: self.holds.count,
            unknownCostRequests: self.unknownCostRequests,
            dailyUSD: self.rule.dailyUSD.map {
                BudgetLimitStatus(limit: $0, used: self.dayUsage.microUSD, reserved: self.reservedMicroUSD,
                                  resetsAt: self.day.end)
            },
            monthlyUSD: self.rule.monthlyUSD.map {
                BudgetLimitStatus(limit: $0, used: self.monthUsage.microUSD, reserved: self.reservedMicroUSD,
                                  resetsAt: self.month.end)
            },
            dailyTokens: self.rule.dailyTokens.map {
                BudgetLimitStatus(limit: $0, used: self.dayUsage.tokens, reserved: self.reservedTokens,
                                  resetsAt: self.day.end)
            },
            dailyRequests: self.rule.dailyRequests.map {
                BudgetLimitStatus(limit: $0, used: self.dayUsage.requests, reserved: 0, resetsAt: self.day.end)
            },
            rpm: self.rule.rpm.map {
                BudgetLimitStatus(limit: $0, used: rpmInWindow, reserved: 0,
                                  resetsAt: self.recent.nextExpiry(at: now) ?? now)
            },
            maxTokensPerRequest: self.rule.maxTokensPerRequest
        )
    }
}
