/// Per-client budgets as a pure state machine: admission reserves a request's worst case on every budget that
/// matches its caller (all or none), settlement replaces the reservation by the true cost. Because the check and
/// the reservation are one step, concurrent requests cannot together spend more than a budget holds: each one is
/// checked against what the running ones may still spend.
///
/// Time is passed in as Unix milliseconds; days and months are those of `calendar`, and roll over exactly at
/// their boundaries (on the first call at or after one). The daemon keeps one book under a lock and applies the
/// alerts it returns.
public struct BudgetBook: Sendable {
    public private(set) var calendar: any PeriodCalendar
    public private(set) var unknownPrice: UnknownPricePolicy
    /// In configuration order (refusals and reservations list budgets in this order).
    private var states: [BudgetState]
    private var nextReservationID: UInt64 = 1

    /// The most one request may reserve or be charged, in micro-USD ($70 million) and in tokens: amounts are
    /// clamped to it, so that no sum of them can overflow, whatever a caller's `max_tokens`.
    static let largestAmount = 1 << 46

    public init(
        rules: [BudgetRule],
        calendar: any PeriodCalendar = FixedOffsetCalendar.utc,
        unknownPrice: UnknownPricePolicy = .refuse
    ) {
        self.calendar = calendar
        self.unknownPrice = unknownPrice
        self.states = rules.map(BudgetState.init(rule:))
    }

    public var rules: [BudgetRule] { self.states.map(\.rule) }

    /// Budgets not seeded from the ledger yet (seeding carries over reloads that keep a budget): they count from
    /// zero until `seed` gives them the ledger's counts.
    public var unseededBudgets: [String] { self.states.filter { !$0.isSeeded }.map(\.rule.name) }

    /// Admits a request whose worst case is `estimate` if it fits every budget that matches `caller` and limits
    /// it, reserving it on all matching budgets (exempt ones count it without checking it); otherwise refuses it
    /// and reserves nothing. Of several limits it breaks, the refusal names the one that stays closed longest.
    public mutating func admit(_ caller: BudgetCaller, estimate: BudgetEstimate, at now: Int64) -> BudgetAdmission {
        let estimate = BudgetEstimate(
            microUSD: estimate.microUSD.map(Self.clamped), tokens: Self.clamped(estimate.tokens)
        )
        let matching = self.states.indices.filter { self.states[$0].rule.match.matches(caller) }
        var refusals: [BudgetRefusal] = []
        for index in matching {
            self.states[index].rollOver(to: now, calendar: self.calendar)
            guard self.states[index].rule.limits(caller) else { continue }
            refusals += self.states[index].refusals(
                for: estimate, at: now, unknownPrice: self.unknownPrice, calendar: self.calendar
            )
        }
        // Waiting does not help a refusal without a reset; among the others, the latest reset is when a retry can
        // succeed.
        if let refusal = refusals.enumerated().max(by: { lhs, rhs in
            let left = lhs.element.resetsAt ?? .max
            let right = rhs.element.resetsAt ?? .max
            return left != right ? left < right : lhs.offset > rhs.offset
        })?.element {
            return .refused(refusal)
        }
        let id = self.nextReservationID
        self.nextReservationID += 1
        let hold = BudgetHold(microUSD: estimate.microUSD ?? 0, tokens: estimate.tokens, admittedAt: now)
        for index in matching { self.states[index].hold(id, hold) }
        return .admitted(
            BudgetReservation(
                id: id,
                budgets: matching.map { self.states[$0].rule.name },
                microUSD: hold.microUSD,
                tokens: hold.tokens,
                admittedAt: now
            )
        )
    }

    /// Grows a running request's reservation by `estimate` before another attempt of it (a retry or a failover can
    /// be billed as well as the attempt before), if that fits every budget the reservation holds and that limits
    /// `caller` — money and tokens only: it is still one request. Otherwise nothing changes and the refusal says
    /// why; the request should stop there.
    public mutating func extend(
        _ reservation: inout BudgetReservation,
        caller: BudgetCaller,
        by estimate: BudgetEstimate,
        at now: Int64
    ) -> BudgetRefusal? {
        let estimate = BudgetEstimate(
            microUSD: estimate.microUSD.map(Self.clamped), tokens: Self.clamped(estimate.tokens)
        )
        let held = reservation.budgets.compactMap { self.index(of: $0) }
        var refusals: [BudgetRefusal] = []
        for index in held {
            self.states[index].rollOver(to: now, calendar: self.calendar)
            guard self.states[index].rule.limits(caller) else { continue }
            refusals += self.states[index].refusals(
                for: estimate, at: now, unknownPrice: self.unknownPrice, calendar: self.calendar,
                countsAsRequest: false
            )
        }
        if let refusal = refusals.first { return refusal }
        let microUSD = estimate.microUSD ?? 0
        for index in held {
            _ = self.states[index].extend(reservation.id, microUSD: microUSD, tokens: estimate.tokens)
        }
        reservation.microUSD = Self.clamped(reservation.microUSD + microUSD)
        reservation.tokens = Self.clamped(reservation.tokens + estimate.tokens)
        return nil
    }

    /// Frees the reservation and charges what the request really cost (billed attempts included) to the day and
    /// month it was admitted in, which is how the ledger dates it; a request admitted before a boundary and
    /// finished after it does not count in the new period. Returns the alerts the charge fires. Settling twice
    /// (or a reservation of a budget removed since) does nothing.
    public mutating func settle(_ reservation: BudgetReservation, actual: BudgetSpend, at now: Int64) -> [BudgetAlert] {
        let actual = BudgetSpend(microUSD: actual.microUSD.map(Self.clamped), tokens: Self.clamped(actual.tokens))
        var alerts: [BudgetAlert] = []
        for name in reservation.budgets {
            guard let index = self.index(of: name) else { continue }
            alerts += self.states[index].settle(reservation.id, actual: actual, at: now, calendar: self.calendar)
        }
        return alerts
    }

    /// Takes back an admission as if it had never been made: the fleet's shared budget refused what this book
    /// admitted (`[shared]`). Frees the reservation and un-counts the request; charges nothing.
    public mutating func withdraw(_ reservation: BudgetReservation, at now: Int64) {
        for name in reservation.budgets {
            guard let index = self.index(of: name) else { continue }
            self.states[index].withdraw(reservation.id, at: now, calendar: self.calendar)
        }
    }

    /// The budgets that match `caller`, as of `now`, in configuration order.
    public func status(for caller: BudgetCaller, at now: Int64) -> [BudgetStatus] {
        self.states.filter { $0.rule.match.matches(caller) }.map { state in
            var state = state
            state.rollOver(to: now, calendar: self.calendar)
            return state.status(at: now, exempt: !state.rule.limits(caller))
        }
    }

    /// Every budget, as of `now` (for administrators).
    public func statusOfAll(at now: Int64) -> [BudgetStatus] {
        self.states.map { state in
            var state = state
            state.rollOver(to: now, calendar: self.calendar)
            return state.status(at: now, exempt: false)
        }
    }

    /// The `max_tokens` a request may use: the smallest `max_tokens_per_request` of the budgets that match and
    /// limit `caller`, as a cap on `requested` and as the value when the request gives none. `requested` when no
    /// budget caps it.
    public func effectiveMaxTokens(requested: Int?, caller: BudgetCaller) -> Int? {
        let caps = self.states.compactMap { state -> Int? in
            guard state.rule.match.matches(caller), state.rule.limits(caller) else { return nil }
            return state.rule.maxTokensPerRequest
        }
        guard let cap = caps.min() else { return requested }
        return requested.map { min($0, cap) } ?? cap
    }

    /// Sets a budget's counts for the current day and month from the ledger (at start, or after a reload for the
    /// budgets `unseededBudgets` lists): spend, tokens and requests of the rows it matches since the day's and the
    /// month's start (`calendar.day(containing: now)`, `.month(...)`). Alert thresholds they already cross are
    /// marked as fired, so that a restart does not repeat alerts. Returns false for a budget that does not exist.
    @discardableResult
    public mutating func seed(
        budget name: String,
        day: BudgetUsage,
        month: BudgetUsage,
        unknownCostRequests: Int = 0,
        at now: Int64
    ) -> Bool {
        guard let index = self.index(of: name) else { return false }
        self.states[index].seed(
            day: day, month: month, unknownCostRequests: unknownCostRequests, at: now, calendar: self.calendar
        )
        return true
    }

    /// The book for a reloaded configuration. A budget whose name and match are unchanged keeps its counts,
    /// reservations, rpm window and fired alerts under its new limits; the others start from zero (see
    /// `unseededBudgets`). With a new calendar, the current periods end as they were and the next ones follow the
    /// new calendar. Reservations of removed budgets settle as no-ops.
    public func replacingRules(
        _ rules: [BudgetRule],
        calendar: any PeriodCalendar,
        unknownPrice: UnknownPricePolicy? = nil
    ) -> BudgetBook {
        var book = BudgetBook(rules: [], calendar: calendar, unknownPrice: unknownPrice ?? self.unknownPrice)
        book.nextReservationID = self.nextReservationID
        book.states = rules.map { rule in
            guard let index = self.index(of: rule.name), self.states[index].rule.match == rule.match else {
                return BudgetState(rule: rule)
            }
            var kept = self.states[index]
            kept.rule = rule
            return kept
        }
        return book
    }

    private static func clamped(_ amount: Int) -> Int {
        min(max(0, amount), Self.largestAmount)
    }

    private func index(of name: String) -> Int? {
        self.states.firstIndex { $0.rule.name == name }
    }
}
