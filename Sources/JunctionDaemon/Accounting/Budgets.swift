import JunctionCore
import Logging
import NIOConcurrencyHelpers

/// The budget book's shell: the admission stage before planning (reserve the worst case, or refuse), settlement
/// when the request's outcome is reported (the true cost, failed billed attempts included), and the alerts that
/// settlement fires (an `event` on topic `budget.alert` and a journal notice). The book itself is a pure value in
/// Core; this class holds it under a lock that every call holds for microseconds.
final class Budgets: OutcomeSubscriber {
    /// Output tokens reserved (and sent as `max_tokens`) when neither the request nor a budget's
    /// `max_tokens_per_request` bounds them (lower when a target's model has a smaller max output): without a
    /// bound no reservation could be a worst case.
    static let defaultOutputReservation = 4096

    /// What the ledger counted for a budget's rows since a time (Unix ms); nil when the ledger cannot say.
    typealias SpendSource = @Sendable (_ match: BudgetMatch, _ since: Int64) async -> (BudgetUsage, unknownCost: Int)?

    private struct State {
        var book: BudgetBook
        var config: AccountingConfig
    }

    private let state: NIOLockedValueBox<State>
    private let events: EventBus?
    private let logger: Logger
    private let wallClock: @Sendable () -> Int64
    private let spend = NIOLockedValueBox<SpendSource?>(nil)
    /// The fleet's budgets (`[shared]`); nil: this daemon's book alone.
    let shared: (any SharedState)?
    /// Reservations the fleet admitted (their request was counted there at admission).
    let fleetReserved = NIOLockedValueBox<Set<UInt64>>([])
    /// The daemon's part of a reservation's fleet-wide id (its instance), computed once.
    let fleetIDPrefix: String

    init(
        config: AccountingConfig,
        events: EventBus?,
        logger: Logger,
        shared: (any SharedState)? = nil,
        wallClock: @escaping @Sendable () -> Int64 = { WallClock.nowMilliseconds() }
    ) {
        self.shared = shared?.isFleet == true ? shared : nil
        self.fleetIDPrefix = ((shared as? RedisSharedState)?.instance ?? "local") + "-"
        let book = BudgetBook(rules: config.budgets, calendar: config.periodCalendar, unknownPrice: config.unknownPrice)
        self.state = NIOLockedValueBox(State(book: book, config: config))
        self.events = events
        self.logger = logger
        self.wallClock = wallClock
    }

    func rulesAndCalendar() -> ([BudgetRule], any PeriodCalendar) {
        self.state.withLockedValue { ($0.book.rules, $0.book.calendar) }
    }

    func wallClockNow() -> Int64 { self.wallClock() }

    /// Takes back an admission (the fleet refused what the local book admitted): nothing is charged or counted.
    func release(_ reservation: BudgetReservation) {
        let now = self.wallClock()
        self.state.withLockedValue { $0.book.withdraw(reservation, at: now) }
    }

    /// The calendar periods are counted in (for RFC 3339 times in answers).
    var calendar: any PeriodCalendar { self.state.withLockedValue { $0.book.calendar } }

    var isEmpty: Bool { self.state.withLockedValue { $0.config.budgets.isEmpty } }

    /// Where budgets are seeded from (the ledger); seeds every budget not seeded yet.
    func attachSpendSource(_ source: @escaping SpendSource) async {
        self.spend.withLockedValue { $0 = source }
        await self.seedUnseeded()
    }

    /// A reload: budgets whose name and match are unchanged keep their counts; new ones are seeded from the ledger.
    func configure(_ config: AccountingConfig) {
        self.state.withLockedValue { state in
            guard state.config != config else { return }
            state.book = state.book.replacingRules(
                config.budgets, calendar: config.periodCalendar, unknownPrice: config.unknownPrice
            )
            state.config = config
        }
        // A budget added by a reload counts what the ledger already holds for it; until the read returns (a few
        // milliseconds) it counts from zero.
        guard !self.state.withLockedValue({ $0.book.unseededBudgets.isEmpty }) else { return }
        Task { await self.seedUnseeded() }
    }

    /// Seeds the budgets that have no counts yet from the ledger: the current day's and month's rows they match.
    /// At start this runs before the socket listens; seeding replaces a budget's counts with the ledger's.
    private func seedUnseeded() async {
        guard let source = self.spend.withLockedValue({ $0 }) else { return }
        let now = self.wallClock()
        let (rules, calendar) = self.state.withLockedValue { state in
            (state.book.rules.filter { state.book.unseededBudgets.contains($0.name) }, state.book.calendar)
        }
        for rule in rules {
            let day = await source(rule.match, calendar.day(containing: now).start)
            let month = await source(rule.match, calendar.month(containing: now).start)
            guard let day, let month else {
                self.logger.warning(
                    "budget not seeded from the ledger: it counts from zero", metadata: ["budget": "\(rule.name)"]
                )
                continue
            }
            self.state.withLockedValue { state in
                _ = state.book.seed(
                    budget: rule.name, day: day.0, month: month.0, unknownCostRequests: day.unknownCost, at: now
                )
            }
        }
    }

    // MARK: - Admission

    /// Admitted: the request to run — possibly with `max_tokens` capped or set, so that the provider cannot exceed
    /// what was reserved — and the reservation to settle when it ends (nil: no budget matches it). Or refused.
    enum Admission {
        case admitted(GenerateRequest, BudgetReservation?)
        case refused(BudgetRefusal)
    }

    /// The admission stage: reserves `request`'s worst case on every budget that matches its caller, or refuses it.
    /// The worst case is the estimated prompt tokens at the highest input price among `targets` plus the output
    /// tokens (min of `max_tokens`, the budget's cap and the model's room in its context window) at the highest
    /// output price; unknown when a target has no price.
    func admit(
        _ request: GenerateRequest,
        targets: [TargetRef],
        active: ActiveConfiguration
    ) -> Admission {
        let caller = Self.caller(of: request)
        // No budget matches (the common case without budgets): nothing to price or reserve.
        let cap: Int?? = self.state.withLockedValue { state in
            guard state.config.budgets.contains(where: { $0.match.matches(caller) }) else { return .none }
            return .some(state.book.effectiveMaxTokens(requested: request.chat.maxTokens, caller: caller))
        }
        guard case .some(let maxTokens) = cap else { return .admitted(request, nil) }
        let (estimate, _, sentMaxTokens) = Self.estimate(
            request, maxTokens: maxTokens, targets: targets, active: active
        )
        let now = self.wallClock()
        let admission = self.state.withLockedValue { $0.book.admit(caller, estimate: estimate, at: now) }
        switch admission {
        case .refused(let refusal):
            return .refused(refusal)
        case .admitted(let reservation):
            var admitted = request
            if request.chat.maxTokens != sentMaxTokens {
                var chat = request.chat
                chat.maxTokens = sentMaxTokens
                admitted = request.with(chat: chat)
            }
            return .admitted(admitted, reservation)
        }
    }

    /// The worst case of one attempt of `request` on any of `targets`: the estimated prompt at the highest input
    /// price plus the output at the highest output price (unknown when a target has no price), the output tokens
    /// reserved, and the `max_tokens` to send.
    static func estimate(
        _ request: GenerateRequest,
        maxTokens: Int?,
        targets: [TargetRef],
        active: ActiveConfiguration
    ) -> (BudgetEstimate, outputTokens: Int, sentMaxTokens: Int) {
        let promptTokens = request.chat.estimatedPromptTokens
        let providers = targets.map { active.registry.provider(named: $0.provider) }
        let room = zip(targets, providers).compactMap { target, provider in
            provider?.contextWindow(of: target.model).map { max(1, $0 - promptTokens) }
        }.max()
        // The output a reservation covers: the request's (or the budget's) max_tokens, else the default, lowered to
        // the smallest max output among the targets' models (the one max_tokens sent must be accepted by each) —
        // at most the room left in the largest context window. It is then sent as max_tokens, so that the provider
        // cannot produce more than was reserved. Not the models' max output itself: reserving 64K output tokens for
        // every request without max_tokens would refuse most of them under a small budget.
        let modelOutput = zip(targets, providers).map { target, provider in
            min(
                provider?.maxOutputTokens(of: target.model) ?? Self.defaultOutputReservation,
                Self.defaultOutputReservation
            )
        }.min() ?? Self.defaultOutputReservation
        let answerTokens = maxTokens.map { min($0, room ?? $0) } ?? min(modelOutput, room ?? .max)
        let sentMaxTokens = maxTokens ?? answerTokens
        // A thinking budget is output billed on top of the answer (Anthropic sends budget + max_tokens).
        let outputTokens = answerTokens + (request.chat.thinkingBudget ?? 0)
        var input: MicroUSD? = 0
        var output: MicroUSD? = 0
        for (target, provider) in zip(targets, providers) {
            guard let price = provider?.price(of: target.model)?.price else {
                input = nil
                output = nil
                break
            }
            input = max(input ?? 0, Pricing.worstCase(promptTokens: promptTokens, outputTokens: 0, at: price))
            output = max(output ?? 0, Pricing.worstCase(promptTokens: 0, outputTokens: outputTokens, at: price))
        }
        let estimate = BudgetEstimate(
            microUSD: input.flatMap { input in output.map { input + $0 } }, tokens: promptTokens + outputTokens
        )
        return (estimate, outputTokens, sentMaxTokens)
    }

    /// Before another attempt of an admitted request (a retry or a failover, which can be billed as well as the
    /// attempts before it): makes the reservation cover what was billed so far (known costs, and the reservations
    /// of attempts whose bill is unknown) plus this attempt's worst case on `target`, growing it when it falls
    /// short; or refuses — then the request stops there. Returns the attempt's worst case too (what an unknown
    /// bill of it is charged).
    func extend(
        _ reservation: inout BudgetReservation,
        for request: GenerateRequest,
        target: TargetRef,
        billedSoFar cost: RequestCost,
        active: ActiveConfiguration
    ) -> (refusal: BudgetRefusal?, attempt: BudgetEstimate) {
        let (estimate, _, _) = Self.estimate(
            request, maxTokens: request.chat.maxTokens, targets: [target], active: active
        )
        guard !reservation.budgets.isEmpty else { return (nil, estimate) }
        let neededTokens = cost.usage.totalTokens + cost.unknownBillReservedTokens + estimate.tokens
        let growth = BudgetEstimate(
            microUSD: estimate.microUSD.map {
                max(0, cost.knownTotal + cost.unknownBillReservedMicroUSD + $0 - reservation.microUSD)
            },
            tokens: max(0, neededTokens - reservation.tokens)
        )
        let now = self.wallClock()
        let refusal = self.state.withLockedValue { state in
            state.book.extend(&reservation, caller: Self.caller(of: request), by: growth, at: now)
        }
        return (refusal, estimate)
    }

    static func caller(of request: GenerateRequest) -> BudgetCaller {
        BudgetCaller(
            uid: request.caller.uid, gid: request.caller.gid, client: request.client, isAdmin: request.callerIsAdmin
        )
    }

    // MARK: - Settlement

    func attemptFinished(_ outcome: AttemptOutcome) {}

    /// Settles the reservation to the true cost: every billed attempt, failed and abandoned ones included (a
    /// cancelled request is charged what the provider billed).
    func requestFinished(_ outcome: RequestOutcome) {
        guard let reservation = outcome.reservation else { return }
        let cost = outcome.cost
        let now = self.wallClock()
        let spend = Self.spend(of: cost)
        let (alerts, calendar) = self.state.withLockedValue { state in
            (
                state.book.settle(reservation, actual: spend, at: now),
                state.book.calendar
            )
        }
        self.settleInFleet(reservation, spend: spend, caller: Self.caller(of: outcome.request))
        for alert in alerts { self.announce(alert, calendar: calendar) }
    }

    /// What a finished request is charged: its known cost, plus for each attempt whose bill is unknown (sent, then
    /// timed out or abandoned before any answer: the provider may have billed it in full) what was reserved for
    /// that attempt. Only a request with no known part at all settles as unknown.
    static func spend(of cost: RequestCost) -> BudgetSpend {
        let known = cost.knownTotal + cost.unknownBillReservedMicroUSD
        let unknown = cost.total == nil && known == 0
        let tokens = cost.usage.totalTokens + cost.unknownBillReservedTokens
        return BudgetSpend(microUSD: unknown ? nil : known, tokens: tokens)
    }

    private func announce(_ alert: BudgetAlert, calendar: any PeriodCalendar) {
        let payload = alert.json(calendar: calendar)
        let percent = Int((alert.threshold * 100).rounded())
        let line = "budget \(alert.budget): \(percent) % of the \(alert.period.rawValue)'s limit spent "
            + "(\(MicroUSDText.text(alert.spent)) of \(MicroUSDText.text(alert.limit)))"
        self.logger.notice(
            "\(line)",
            metadata: [
                "budget": "\(alert.budget)", "period": "\(alert.period.rawValue)", "threshold": "\(alert.threshold)",
                "spent_usd": "\(MicroUSDText.usd(alert.spent))", "limit_usd": "\(MicroUSDText.usd(alert.limit))",
                "resets_at": "\(calendar.rfc3339(alert.resetsAt))",
            ]
        )
        if case .object(let object) = payload { self.events?.publish(topic: "budget.alert", object) }
    }

    // MARK: - Status

    /// The budgets that match `request`'s caller, as `generate` results show them (`budget`).
    func status(for request: GenerateRequest) -> JSONValue {
        self.status(for: Self.caller(of: request), all: false)
    }

    /// `quota.get`: the budgets that match `caller`, or every budget for an administrator asking for all.
    func status(for caller: BudgetCaller, all: Bool) -> JSONValue {
        let now = self.wallClock()
        let (statuses, calendar) = self.state.withLockedValue { state in
            guard !state.config.budgets.isEmpty else { return ([BudgetStatus](), state.book.calendar) }
            return (
                all ? state.book.statusOfAll(at: now) : state.book.status(for: caller, at: now), state.book.calendar
            )
        }
        return .array(statuses.map { $0.json(calendar: calendar) })
    }

    /// Every budget's status now: the metrics exporter reads it at scrape time.
    func statusOfAll() -> [BudgetStatus] {
        let now = self.wallClock()
        return self.state.withLockedValue { state in
            state.config.budgets.isEmpty ? [] : state.book.statusOfAll(at: now)
        }
    }
}

extension LedgerStore {
    /// What the ledger holds for a budget's match since `since`: admitted requests only (those refused by a budget
    /// or unroutable never reached admission). nil when the database cannot be read (the budget counts from zero
    /// and the daemon says so).
    func spend(since: Int64, matching match: BudgetMatch) async -> (BudgetUsage, unknownCost: Int)? {
        let spend: LedgerSpend
        do {
            switch match {
            case .global: spend = try await self.spend(since: since, uid: nil, gid: nil, client: nil)
            case .uid(let uid): spend = try await self.spend(since: since, uid: uid, gid: nil, client: nil)
            case .gid(let gid): spend = try await self.spend(since: since, uid: nil, gid: gid, client: nil)
            case .client(let client): spend = try await self.spend(since: since, uid: nil, gid: nil, client: client)
            }
        } catch {
            return nil
        }
        return (
            BudgetUsage(microUSD: spend.microUSD, tokens: spend.tokens, requests: spend.requests), spend.unknownCost
        )
    }
}
