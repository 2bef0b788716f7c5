import JunctionCore

/// Budgets across a fleet of daemons (`[shared]`): after the local book admits a request, the same reservation is
/// made atomically on Redis against every daemon's spend; settlement charges the fleet too. While Redis is away
/// the local book decides alone, and the spend reaches the fleet once it is back.
extension Budgets {
    /// Reserves `reservation` (just admitted by the local book) across the fleet: nil when admitted there (or when
    /// the fleet cannot say: Redis away), else the fleet's refusal — the local reservation is then released.
    func reserveInFleet(
        _ reservation: BudgetReservation,
        request: GenerateRequest,
        holdFor: Duration,
        shared: any SharedState
    ) async -> BudgetRefusal? {
        guard !reservation.budgets.isEmpty else { return nil }
        let caller = Self.caller(of: request)
        let slots = self.slots(of: reservation, caller: caller)
        let fleet = SharedReservation(
            id: self.fleetID(reservation), budgets: slots, microUSD: reservation.microUSD, tokens: reservation.tokens,
            holdFor: holdFor, countsAsRequest: true
        )
        switch await shared.reserve(fleet) {
        case .admitted:
            self.fleetReserved.withLockedValue { _ = $0.insert(reservation.id) }
            return nil
        case .local:
            return nil
        case .refused(let index, let limit, let spent, let reserved, let rpmWait):
            self.release(reservation)
            let slot = slots[min(max(index, 0), slots.count - 1)]
            return self.refusal(
                slot: slot, limit: limit, spent: spent, reserved: reserved, rpmWait: rpmWait, reservation: reservation
            )
        }
    }

    /// Grows the fleet's hold of a reservation the fleet admitted to `reservation`'s new amounts (the local book
    /// extended it before another attempt): nil when it fits (or the fleet cannot say), else the fleet's refusal,
    /// which stops the request. The hold the fleet had stays until the settlement frees it.
    func extendInFleet(
        _ reservation: BudgetReservation,
        request: GenerateRequest,
        holdFor: Duration,
        shared: any SharedState
    ) async -> BudgetRefusal? {
        guard self.fleetReserved.withLockedValue({ $0.contains(reservation.id) }) else { return nil }
        let slots = self.slots(of: reservation, caller: Self.caller(of: request))
        let fleet = SharedReservation(
            id: self.fleetID(reservation), budgets: slots, microUSD: reservation.microUSD, tokens: reservation.tokens,
            holdFor: holdFor, countsAsRequest: false
        )
        guard case .refused(let index, let limit, let spent, let reserved, let rpmWait) = await shared.reserve(fleet)
        else { return nil }
        let slot = slots[min(max(index, 0), slots.count - 1)]
        return self.refusal(
            slot: slot, limit: limit, spent: spent, reserved: reserved, rpmWait: rpmWait, reservation: reservation
        )
    }

    /// The fleet's half of settlement (from `requestFinished`).
    func settleInFleet(_ reservation: BudgetReservation, spend: BudgetSpend, caller: BudgetCaller) {
        guard let shared = self.shared, !reservation.budgets.isEmpty else { return }
        let counted = self.fleetReserved.withLockedValue { $0.remove(reservation.id) != nil }
        shared.settle(
            SharedSettlement(
                id: self.fleetID(reservation), budgets: self.slots(of: reservation, caller: caller),
                microUSD: spend.microUSD ?? 0, tokens: spend.tokens, requests: counted ? 0 : 1
            )
        )
    }

    private func fleetID(_ reservation: BudgetReservation) -> String {
        self.fleetIDPrefix + String(reservation.id)
    }

    /// The reservation's budgets as the fleet counts them: their rules and the periods of the admission.
    private func slots(of reservation: BudgetReservation, caller: BudgetCaller) -> [SharedBudgetSlot] {
        let (rules, calendar) = self.rulesAndCalendar()
        return reservation.budgets.compactMap { name in
            guard let rule = rules.first(where: { $0.name == name }) else { return nil }
            return SharedBudgetSlot(
                rule: rule, limited: rule.limits(caller), day: calendar.day(containing: reservation.admittedAt),
                month: calendar.month(containing: reservation.admittedAt)
            )
        }
    }

    private func refusal(
        slot: SharedBudgetSlot,
        limit: String,
        spent: Int,
        reserved: Int,
        rpmWait: Int64,
        reservation: BudgetReservation
    ) -> BudgetRefusal {
        let rule = slot.rule
        let now = self.wallClockNow()
        let calendar = self.rulesAndCalendar().1
        let (period, kind, amount, requested, resets): (BudgetPeriod, BudgetLimitKind, Int, Int, Int64?) =
            switch limit {
            case "rpm": (.minute, .rpm, rule.rpm ?? 0, 1, now + rpmWait)
            case "requests": (.day, .requests, rule.dailyRequests ?? 0, 1, slot.day.end)
            case "monthly_usd": (.month, .usd, rule.monthlyUSD ?? 0, reservation.microUSD, slot.month.end)
            case "tokens": (.day, .tokens, rule.dailyTokens ?? 0, reservation.tokens, slot.day.end)
            default: (.day, .usd, rule.dailyUSD ?? 0, reservation.microUSD, slot.day.end)
            }
        return BudgetRefusal(
            budget: rule.name, period: period, kind: kind, limit: amount, spent: spent, reserved: reserved,
            requested: requested, resetsAt: requested > amount ? nil : resets, now: now, calendar: calendar
        )
    }
}
