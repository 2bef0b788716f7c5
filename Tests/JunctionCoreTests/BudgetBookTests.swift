import Testing

@testable import JunctionCore

@Suite("Budget admission and settlement")
struct BudgetBookTests {
    private let noon = ms("2026-12-02T12:00:00Z")

    private func book(_ rules: BudgetRule..., unknownPrice: UnknownPricePolicy = .refuse) -> BudgetBook {
        BudgetBook(rules: rules, calendar: FixedOffsetCalendar.utc, unknownPrice: unknownPrice)
    }

    @Test func admissionReservesTheWorstCaseAndSettlementReplacesItByTheTrueCost() throws {
        var book = self.book(BudgetRule(name: "team-a", match: .uid(1000), dailyUSD: usd(5), dailyTokens: 10_000))
        let admission = book.admit(alice, estimate: estimate(usd(0.5), tokens: 4_000), at: self.noon)
        let reservation = try #require(admission.reservation)
        #expect(reservation.budgets == ["team-a"])
        #expect(reservation.microUSD == usd(0.5))
        #expect(reservation.tokens == 4_000)
        #expect(reservation.admittedAt == self.noon)

        let held = try #require(book.status(for: alice, at: self.noon + 1).first)
        #expect(held.reservedMicroUSD == usd(0.5))
        #expect(held.inFlight == 1)
        #expect(
            held.dailyUSD
                == BudgetLimitStatus(limit: usd(5), used: 0, reserved: usd(0.5), resetsAt: ms("2026-12-03T00:00:00Z"))
        )
        #expect(held.dailyUSD?.remaining == usd(4.5))
        #expect(held.dailyTokens?.remaining == 6_000)
        #expect(held.dayUsage.requests == 1)

        // Below the estimate: the rest of the reservation is free again.
        let alerts = book.settle(reservation, actual: actual(usd(0.12), tokens: 1_500), at: self.noon + 2)
        #expect(alerts.isEmpty)
        let settled = try #require(book.status(for: alice, at: self.noon + 3).first)
        #expect(settled.reservedMicroUSD == 0)
        #expect(settled.inFlight == 0)
        #expect(settled.dayUsage == BudgetUsage(microUSD: usd(0.12), tokens: 1_500, requests: 1))
        #expect(settled.monthUsage == BudgetUsage(microUSD: usd(0.12), tokens: 1_500, requests: 1))
        #expect(settled.dailyUSD?.remaining == usd(4.88))

        // Above the estimate (the provider billed more than the worst case computed): the truth is charged.
        let second = try #require(
            book.admit(alice, estimate: estimate(usd(0.5), tokens: 1_000), at: self.noon + 4).reservation
        )
        _ = book.settle(second, actual: actual(usd(0.75), tokens: 2_000), at: self.noon + 5)
        let above = try #require(book.status(for: alice, at: self.noon + 6).first)
        #expect(above.dayUsage.microUSD == usd(0.87))
        #expect(above.dayUsage.tokens == 3_500)
    }

    /// A retry or failover can be billed as well as the attempt before: each further attempt grows the reservation
    /// first, so that concurrent requests that retry cannot together spend more than the budget holds.
    @Test func furtherAttemptsReserveTheirOwnWorstCase() throws {
        var book = self.book(BudgetRule(name: "all", dailyUSD: usd(1), dailyRequests: 2))
        var first = try #require(book.admit(alice, estimate: estimate(usd(0.4)), at: self.noon).reservation)
        let second = try #require(book.admit(bob, estimate: estimate(usd(0.4)), at: self.noon).reservation)
        // $0.80 held: one more attempt of $0.40 does not fit, whoever asks; and a retry is not a new request, so
        // daily_requests (2, both used) does not refuse it.
        let refused = try #require(book.extend(&first, caller: alice, by: estimate(usd(0.4)), at: self.noon + 1))
        #expect(refused.kind == .usd)
        #expect(refused.reserved == usd(0.8))
        #expect(first.microUSD == usd(0.4))  // unchanged
        _ = book.settle(second, actual: actual(usd(0.1)), at: self.noon + 2)
        #expect(book.extend(&first, caller: alice, by: estimate(usd(0.4)), at: self.noon + 3) == nil)
        #expect(first.microUSD == usd(0.8))
        let held = try #require(book.statusOfAll(at: self.noon + 4).first)
        #expect(held.reservedMicroUSD == usd(0.8))
        #expect(held.dayUsage.requests == 2)
        // Settling frees the whole grown hold.
        _ = book.settle(first, actual: actual(usd(0.5)), at: self.noon + 5)
        let settled = try #require(book.statusOfAll(at: self.noon + 6).first)
        #expect(settled.reservedMicroUSD == 0)
        #expect(settled.dayUsage.microUSD == usd(0.6))
    }

    /// The fleet refused what this book admitted (`[shared]`): withdrawn, the admission leaves no trace — no hold,
    /// no request in the day, no entry in the rpm window — so the next request is judged as if it never came.
    @Test func aWithdrawnAdmissionLeavesNoTrace() throws {
        var book = self.book(BudgetRule(name: "team-a", match: .uid(1000), dailyUSD: usd(5), dailyRequests: 2, rpm: 1))
        let first = try #require(book.admit(alice, estimate: estimate(usd(0.5)), at: self.noon).reservation)
        #expect(book.admit(alice, estimate: estimate(usd(0.5)), at: self.noon + 1).refusal?.kind == .rpm)
        book.withdraw(first, at: self.noon + 2)
        let status = try #require(book.status(for: alice, at: self.noon + 3).first)
        #expect(status.inFlight == 0)
        #expect(status.reservedMicroUSD == 0)
        #expect(status.dayUsage.requests == 0)
        // The rpm window and the daily count have room again; settling the withdrawn one later charges nothing.
        let second = try #require(book.admit(alice, estimate: estimate(usd(0.5)), at: self.noon + 4).reservation)
        _ = book.settle(first, actual: actual(usd(1)), at: self.noon + 5)
        _ = book.settle(second, actual: actual(usd(0.25)), at: self.noon + 6)
        let settled = try #require(book.status(for: alice, at: self.noon + 7).first)
        #expect(settled.dayUsage.requests == 1)
        #expect(settled.dayUsage.microUSD == usd(0.25))
    }

    @Test func settlingTwiceChargesOnce() throws {
        var book = self.book(BudgetRule(name: "all", dailyUSD: usd(5)))
        let reservation = try #require(
            book.admit(alice, estimate: estimate(usd(1), tokens: 10), at: self.noon).reservation
        )
        _ = book.settle(reservation, actual: actual(usd(1), tokens: 10), at: self.noon + 1)
        _ = book.settle(reservation, actual: actual(usd(1), tokens: 10), at: self.noon + 2)
        let status = try #require(book.statusOfAll(at: self.noon + 3).first)
        #expect(status.dayUsage.microUSD == usd(1))
        #expect(status.reservedMicroUSD == 0)
    }

    @Test func hugeAndNegativeAmountsAreClampedNotOverflowed() throws {
        var book = self.book(BudgetRule(name: "rate", rpm: 1_000))
        let first = try #require(book.admit(alice, estimate: estimate(.max, tokens: .max), at: self.noon).reservation)
        let second = try #require(book.admit(alice, estimate: estimate(-5, tokens: -5), at: self.noon).reservation)
        #expect(first.microUSD == BudgetBook.largestAmount)
        #expect(first.tokens == BudgetBook.largestAmount)
        #expect(second.microUSD == 0)
        _ = book.settle(first, actual: actual(.max, tokens: .max), at: self.noon)
        _ = book.settle(second, actual: actual(-5, tokens: -5), at: self.noon)
        let status = try #require(book.statusOfAll(at: self.noon).first)
        #expect(status.dayUsage.microUSD == BudgetBook.largestAmount)
        #expect(status.dayUsage.tokens == BudgetBook.largestAmount)
        #expect(status.reservedMicroUSD == 0)
    }

    @Test func aCallerNoBudgetMatchesIsAdmittedWithAnEmptyReservation() throws {
        var book = self.book(BudgetRule(name: "team-a", match: .uid(1000), dailyUSD: usd(1)))
        let reservation = try #require(
            book.admit(bob, estimate: estimate(usd(100), tokens: 10), at: self.noon).reservation
        )
        #expect(reservation.budgets.isEmpty)
        #expect(book.status(for: bob, at: self.noon).isEmpty)
        #expect(book.settle(reservation, actual: actual(usd(100), tokens: 10), at: self.noon).isEmpty)
        #expect(book.status(for: alice, at: self.noon).first?.dayUsage.microUSD == 0)
    }

    @Test func matchesByUIDGIDClientAndGlobally() {
        let batch = BudgetCaller(uid: 2000, gid: 300, client: "batch")
        #expect(BudgetMatch.global.matches(batch))
        #expect(BudgetMatch.uid(2000).matches(batch))
        #expect(!BudgetMatch.uid(1000).matches(batch))
        #expect(BudgetMatch.gid(300).matches(batch))
        #expect(!BudgetMatch.gid(100).matches(batch))
        #expect(BudgetMatch.client("batch").matches(batch))
        #expect(!BudgetMatch.client("batch").matches(alice))
    }

    /// 64 requests at once against a budget that holds 10: the reservations admit exactly 10, and what they
    /// are settled to stays within the limit (the peers checked spend after the call and overspent).
    @Test func sixtyFourConcurrentRequestsCannotOverspend() throws {
        var book = self.book(BudgetRule(name: "team-a", match: .uid(1000), dailyUSD: usd(5)))
        var admitted: [BudgetReservation] = []
        var refused: [BudgetRefusal] = []
        for index in 0..<64 {
            switch book.admit(alice, estimate: estimate(usd(0.5), tokens: 100), at: self.noon + Int64(index)) {
            case .admitted(let reservation): admitted.append(reservation)
            case .refused(let refusal): refused.append(refusal)
            }
        }
        #expect(admitted.count == 10)
        #expect(refused.count == 54)
        #expect(refused.allSatisfy { $0.kind == .usd && $0.reserved == usd(5) && $0.spent == 0 })
        // All of them finish, each costing at most its worst case.
        for (index, reservation) in admitted.enumerated() {
            _ = book.settle(reservation, actual: actual(usd(0.5) - index, tokens: 90), at: self.noon + 100)
        }
        let status = try #require(book.status(for: alice, at: self.noon + 101).first)
        #expect(status.dayUsage.microUSD <= usd(5))
        #expect(status.dayUsage.microUSD == usd(5) - 45)
        #expect(status.dayUsage.requests == 10)
        // Only a request that fits what is left gets in now.
        #expect(book.admit(alice, estimate: estimate(46), at: self.noon + 102).refusal != nil)
        #expect(book.admit(alice, estimate: estimate(45), at: self.noon + 103).reservation != nil)
    }

    @Test func admissionIsAllOrNothingAcrossMatchingBudgets() throws {
        var book = self.book(
            BudgetRule(name: "everyone", dailyUSD: usd(100)),
            BudgetRule(name: "team-a", match: .uid(1000), dailyUSD: usd(1))
        )
        let refusal = try #require(
            book.admit(alice, estimate: estimate(usd(2), tokens: 10), at: self.noon).refusal
        )
        #expect(refusal.budget == "team-a")
        let everyone = try #require(book.status(for: alice, at: self.noon).first)
        #expect(everyone.budget == "everyone")
        #expect(everyone.reservedMicroUSD == 0)
        #expect(everyone.dayUsage.requests == 0)

        let reservation = try #require(
            book.admit(alice, estimate: estimate(usd(0.5), tokens: 10), at: self.noon).reservation
        )
        #expect(reservation.budgets == ["everyone", "team-a"])
        #expect(book.status(for: alice, at: self.noon).map(\.reservedMicroUSD) == [usd(0.5), usd(0.5)])
        // Bob is limited by the global budget only.
        #expect(book.status(for: bob, at: self.noon).map(\.budget) == ["everyone"])
    }

    @Test func aDailyUSDRefusalCarriesItsDataAndSaysWhatToDo() throws {
        var book = self.book(BudgetRule(name: "team-a", match: .uid(1000), dailyUSD: usd(5)))
        let first = try #require(
            book.admit(alice, estimate: estimate(usd(5), tokens: 10), at: self.noon).reservation
        )
        _ = book.settle(first, actual: actual(usd(4.98), tokens: 10), at: self.noon)
        _ = try #require(book.admit(alice, estimate: estimate(usd(0.01), tokens: 10), at: self.noon).reservation)
        let refusal = try #require(
            book.admit(alice, estimate: estimate(usd(0.02), tokens: 10), at: self.noon).refusal
        )
        #expect(refusal.budget == "team-a")
        #expect(refusal.period == .day)
        #expect(refusal.kind == .usd)
        #expect(refusal.limit == usd(5))
        #expect(refusal.spent == usd(4.98))
        #expect(refusal.reserved == usd(0.01))
        #expect(refusal.requested == usd(0.02))
        #expect(refusal.resetsAt == ms("2026-12-03T00:00:00Z"))
        #expect(
            refusal.message
                == "budget team-a: daily limit $5.00 reached ($4.98 spent, $0.01 reserved by running requests, this "
                + "request up to $0.02); resets at 2026-12-03T00:00:00Z; retry then, once running requests finish, "
                + "or with a lower max_tokens, or raise [budgets.team-a] daily_usd"
        )
        // Exactly what is left still fits.
        #expect(book.admit(alice, estimate: estimate(usd(0.01), tokens: 10), at: self.noon).reservation != nil)
    }

    @Test func aMonthlyRefusalResetsOnTheFirst() throws {
        var book = self.book(BudgetRule(name: "team-a", dailyUSD: usd(5), monthlyUSD: usd(20)))
        for day in 1...4 {
            let at = ms("2026-12-0\(day)T10:00:00Z")
            let reservation = try #require(book.admit(alice, estimate: estimate(usd(5)), at: at).reservation)
            _ = book.settle(reservation, actual: actual(usd(5)), at: at)
        }
        // The day is fresh, the month is not: the refusal names the month and its reset, the later of the two.
        let refusal = try #require(
            book.admit(alice, estimate: estimate(usd(1)), at: ms("2026-12-05T10:00:00Z")).refusal
        )
        #expect(refusal.period == .month)
        #expect(refusal.kind == .usd)
        #expect(refusal.spent == usd(20))
        #expect(refusal.resetsAt == ms("2027-01-01T00:00:00Z"))
        #expect(refusal.message.contains("monthly limit $20.00 reached"))
        #expect(refusal.message.contains("[budgets.team-a] monthly_usd"))
        #expect(book.admit(alice, estimate: estimate(usd(1)), at: ms("2027-01-01T00:00:00Z")).reservation != nil)
    }

    @Test func ofSeveralBrokenLimitsTheRefusalNamesTheOneThatStaysClosedLongest() throws {
        var book = self.book(
            BudgetRule(name: "fast", rpm: 1),
            BudgetRule(name: "daily", dailyRequests: 1),
            BudgetRule(name: "monthly", monthlyUSD: usd(1))
        )
        let first = try #require(book.admit(alice, estimate: estimate(usd(1)), at: self.noon).reservation)
        _ = book.settle(first, actual: actual(usd(1)), at: self.noon)
        let refusal = try #require(book.admit(alice, estimate: estimate(1), at: self.noon + 1).refusal)
        #expect(refusal.budget == "monthly")
        #expect(refusal.resetsAt == ms("2027-01-01T00:00:00Z"))
    }

    @Test func aRequestLargerThanTheWholeLimitIsRefusedWithoutAReset() throws {
        var book = self.book(BudgetRule(name: "team-a", dailyUSD: usd(5), dailyTokens: 4_000))
        let costly = try #require(book.admit(alice, estimate: estimate(usd(6), tokens: 10), at: self.noon).refusal)
        #expect(costly.kind == .usd)
        #expect(costly.resetsAt == nil)
        #expect(
            costly.message
                == "budget team-a: this request may cost up to $6.00, more than the whole daily limit of $5.00; "
                + "lower max_tokens or shorten the prompt, or raise [budgets.team-a] daily_usd"
        )
        let long = try #require(book.admit(alice, estimate: estimate(1, tokens: 5_000), at: self.noon).refusal)
        #expect(long.kind == .tokens)
        #expect(long.resetsAt == nil)
        #expect(long.message.contains("more than the whole daily token limit of 4000"))
    }

    @Test func dailyTokensCountSettledAndReservedTokens() throws {
        var book = self.book(BudgetRule(name: "team-a", dailyTokens: 10_000))
        let first = try #require(book.admit(alice, estimate: estimate(0, tokens: 6_000), at: self.noon).reservation)
        _ = book.settle(first, actual: actual(0, tokens: 5_000), at: self.noon)
        _ = try #require(book.admit(alice, estimate: estimate(0, tokens: 3_000), at: self.noon).reservation)
        let refusal = try #require(book.admit(alice, estimate: estimate(0, tokens: 2_001), at: self.noon).refusal)
        #expect(refusal.kind == .tokens)
        #expect(refusal.period == .day)
        #expect(refusal.limit == 10_000)
        #expect(refusal.spent == 5_000)
        #expect(refusal.reserved == 3_000)
        #expect(refusal.requested == 2_001)
        #expect(refusal.resetsAt == ms("2026-12-03T00:00:00Z"))
        #expect(refusal.message.hasPrefix("budget team-a: daily token limit 10000 reached (5000 used, 3000 reserved"))
        #expect(book.admit(alice, estimate: estimate(0, tokens: 2_000), at: self.noon).reservation != nil)
    }

    @Test func dailyRequestsCountAdmissionsUntilMidnight() throws {
        var book = self.book(BudgetRule(name: "team-a", match: .uid(1000), dailyRequests: 2))
        for offset in 0..<2 {
            #expect(book.admit(alice, estimate: estimate(0), at: self.noon + Int64(offset)).reservation != nil)
        }
        let refusal = try #require(book.admit(alice, estimate: estimate(0), at: self.noon + 5).refusal)
        #expect(refusal.kind == .requests)
        #expect(refusal.period == .day)
        #expect(refusal.limit == 2)
        #expect(refusal.spent == 2)
        #expect(refusal.resetsAt == ms("2026-12-03T00:00:00Z"))
        #expect(
            refusal.message
                == "budget team-a: daily request limit 2 reached (2 requests today); resets at 2026-12-03T00:00:00Z; "
                + "retry then, or raise [budgets.team-a] daily_requests"
        )
        #expect(book.status(for: alice, at: self.noon + 6).first?.dailyRequests?.remaining == 0)
        // Refused requests are not counted; a new day starts from zero.
        #expect(book.admit(alice, estimate: estimate(0), at: ms("2026-12-02T23:59:59.999Z")).refusal != nil)
        #expect(book.admit(alice, estimate: estimate(0), at: ms("2026-12-03T00:00:00Z")).reservation != nil)
    }

    @Test func rpmIsARollingSixtySecondWindow() throws {
        var book = self.book(BudgetRule(name: "team-a", rpm: 3))
        let start = self.noon
        for seconds in [0, 10, 20] as [Int64] {
            #expect(book.admit(alice, estimate: estimate(0), at: start + seconds * 1000).reservation != nil)
        }
        let refusal = try #require(book.admit(alice, estimate: estimate(0), at: start + 30_000).refusal)
        #expect(refusal.kind == .rpm)
        #expect(refusal.period == .minute)
        #expect(refusal.limit == 3)
        #expect(refusal.spent == 3)
        #expect(refusal.resetsAt == start + 60_000)
        #expect(
            refusal.message
                == "budget team-a: rate limit of 3 requests per minute reached; retry in 30 s "
                + "(at 2026-12-02T12:01:00Z), or raise [budgets.team-a] rpm"
        )
        #expect(book.status(for: alice, at: start + 30_000).first?.rpm?.used == 3)
        // A millisecond before the first admission is a minute old the window is still full; at a minute it has room.
        #expect(book.admit(alice, estimate: estimate(0), at: start + 59_999).refusal?.kind == .rpm)
        #expect(book.admit(alice, estimate: estimate(0), at: start + 60_000).reservation != nil)
        #expect(book.admit(alice, estimate: estimate(0), at: start + 60_001).refusal?.resetsAt == start + 70_000)
        #expect(book.status(for: alice, at: start + 200_000).first?.rpm?.used == 0)
    }

    @Test func aLongRunOfAdmissionsKeepsTheRPMWindowExact() {
        var book = self.book(BudgetRule(name: "busy", rpm: 100))
        var admitted = 0
        // One request every 100 ms for ten minutes: 100 fit in each minute, so 6 of every 10 are refused.
        for step in 0..<6_000 {
            if book.admit(alice, estimate: estimate(0), at: self.noon + Int64(step) * 100).reservation != nil {
                admitted += 1
            }
        }
        #expect(admitted == 1_000)
        // Admitted last: 540.0–549.9 s. At 600 s the one at 540.0 s is exactly a minute old and has left.
        #expect(book.status(for: alice, at: self.noon + 599_999).first?.rpm?.used == 100)
        #expect(book.status(for: alice, at: self.noon + 600_000).first?.rpm?.used == 99)
    }

    @Test func unknownPricesAreRefusedByDefaultUnderAUSDBudget() throws {
        var book = self.book(BudgetRule(name: "team-a", dailyUSD: usd(5)), BudgetRule(name: "tokens", dailyTokens: 100))
        let refusal = try #require(book.admit(alice, estimate: estimate(nil, tokens: 10), at: self.noon).refusal)
        #expect(refusal.budget == "team-a")
        #expect(refusal.kind == .unknownPrice)
        #expect(refusal.period == .day)
        #expect(refusal.limit == usd(5))
        #expect(refusal.resetsAt == nil)
        #expect(
            refusal.message
                == "budget team-a has a daily limit in USD ($5.00), but the model's price is unknown, so the request's "
                + "cost cannot be reserved; configure a price for the model, use a priced model, or set [accounting] "
                + "unknown_price = \"allow\""
        )
        // A budget without a USD limit does not need the price.
        var tokensOnly = self.book(BudgetRule(name: "tokens", dailyTokens: 100))
        #expect(tokensOnly.admit(alice, estimate: estimate(nil, tokens: 10), at: self.noon).reservation != nil)
    }

    @Test func unknownPricesAllowedReserveNothingAndAreCounted() throws {
        var book = self.book(BudgetRule(name: "team-a", dailyUSD: usd(5)), unknownPrice: .allow)
        let reservation = try #require(
            book.admit(alice, estimate: estimate(nil, tokens: 10), at: self.noon).reservation
        )
        #expect(reservation.microUSD == 0)
        _ = book.settle(reservation, actual: actual(nil, tokens: 10), at: self.noon + 1)
        let status = try #require(book.status(for: alice, at: self.noon + 2).first)
        #expect(status.dayUsage.microUSD == 0)
        #expect(status.dayUsage.tokens == 10)
        #expect(status.unknownCostRequests == 1)
    }

    @Test func adminsAreExemptOnlyFromBudgetsThatSaySo() throws {
        var book = self.book(
            BudgetRule(name: "strict", dailyUSD: usd(1)),
            BudgetRule(name: "lenient", dailyUSD: usd(1), exemptAdmins: true)
        )
        // The strict budget limits the admin too.
        let refused = try #require(book.admit(admin, estimate: estimate(usd(2)), at: self.noon).refusal)
        #expect(refused.budget == "strict")

        var lenient = self.book(
            BudgetRule(name: "lenient", dailyUSD: usd(1), maxTokensPerRequest: 100, exemptAdmins: true)
        )
        let reservation = try #require(
            lenient.admit(admin, estimate: estimate(usd(2)), at: self.noon).reservation
        )
        // The exempt admin's spend still counts in the budget, and limits everyone else.
        _ = lenient.settle(reservation, actual: actual(usd(2)), at: self.noon)
        #expect(lenient.status(for: admin, at: self.noon).first?.exempt == true)
        #expect(lenient.status(for: alice, at: self.noon).first?.exempt == false)
        #expect(lenient.admit(alice, estimate: estimate(1), at: self.noon).refusal?.budget == "lenient")
        #expect(lenient.admit(admin, estimate: estimate(usd(1)), at: self.noon).reservation != nil)
        // Nor does the exempt budget cap the admin's max_tokens.
        #expect(lenient.effectiveMaxTokens(requested: 5_000, caller: admin) == 5_000)
        #expect(lenient.effectiveMaxTokens(requested: 5_000, caller: alice) == 100)
    }

    @Test func maxTokensPerRequestIsTheSmallestCapAndTheDefault() {
        let book = self.book(
            BudgetRule(name: "everyone", maxTokensPerRequest: 8_192),
            BudgetRule(name: "team-a", match: .uid(1000), maxTokensPerRequest: 4_096),
            BudgetRule(name: "spend", dailyUSD: usd(1))
        )
        #expect(book.effectiveMaxTokens(requested: nil, caller: alice) == 4_096)
        #expect(book.effectiveMaxTokens(requested: 10_000, caller: alice) == 4_096)
        #expect(book.effectiveMaxTokens(requested: 1_000, caller: alice) == 1_000)
        #expect(book.effectiveMaxTokens(requested: nil, caller: bob) == 8_192)
        let uncapped = self.book(BudgetRule(name: "spend", dailyUSD: usd(1)))
        #expect(uncapped.effectiveMaxTokens(requested: nil, caller: bob) == nil)
        #expect(uncapped.effectiveMaxTokens(requested: 7, caller: bob) == 7)
    }

    @Test func aReloadKeepsTheStateOfUnchangedBudgets() throws {
        var book = self.book(
            BudgetRule(name: "team-a", match: .uid(1000), dailyUSD: usd(5)),
            BudgetRule(name: "team-b", match: .uid(1001), dailyUSD: usd(5))
        )
        let dollar = BudgetUsage(microUSD: usd(1))
        book.seed(budget: "team-a", day: dollar, month: dollar, at: self.noon)
        book.seed(budget: "team-b", day: dollar, month: dollar, at: self.noon)
        let running = try #require(book.admit(alice, estimate: estimate(usd(1)), at: self.noon).reservation)
        _ = try #require(book.admit(bob, estimate: estimate(usd(1)), at: self.noon).reservation)

        var reloaded = book.replacingRules(
            [
                BudgetRule(name: "team-a", match: .uid(1000), dailyUSD: usd(10)),  // new limit, same match: kept
                BudgetRule(name: "team-b", match: .gid(100), dailyUSD: usd(5)),  // new match: starts afresh
                BudgetRule(name: "team-c", match: .uid(1002), dailyUSD: usd(5)),
            ],
            calendar: FixedOffsetCalendar.utc
        )
        #expect(reloaded.unseededBudgets == ["team-b", "team-c"])
        let teamA = try #require(reloaded.status(for: alice, at: self.noon + 1).first { $0.budget == "team-a" })
        #expect(
            teamA.dailyUSD
                == BudgetLimitStatus(
                    limit: usd(10), used: usd(1), reserved: usd(1), resetsAt: ms("2026-12-03T00:00:00Z")
                )
        )
        #expect(reloaded.status(for: bob, at: self.noon + 1).first { $0.budget == "team-b" }?.reservedMicroUSD == 0)
        // The reservation made before the reload settles into the kept budget; ids do not repeat.
        _ = reloaded.settle(running, actual: actual(usd(0.5)), at: self.noon + 2)
        let settled = reloaded.status(for: alice, at: self.noon + 3).first { $0.budget == "team-a" }
        #expect(settled?.dayUsage.microUSD == usd(1.5))
        let next = try #require(reloaded.admit(alice, estimate: estimate(1), at: self.noon + 4).reservation)
        #expect(next.id > running.id)
        #expect(reloaded.rules.map(\.name) == ["team-a", "team-b", "team-c"])
    }
}
