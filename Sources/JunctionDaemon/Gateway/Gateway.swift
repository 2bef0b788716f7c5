import JunctionCore
import JunctionProviders
import Logging

/// Runs `generate` through the request path's stages: plan (`RoutingPlanner`), then attempts as the
/// `AttemptPlanner` decides them, each admitted by the resilience shell, run by the `AttemptRunner` and reported
/// once to the `OutcomeReporter`. Speaks in types: events go to the caller's sink, the answer is returned, a
/// failure is thrown as `GenerateFailure`. It knows no wire format, no error code and no request id.
final class Gateway: Sendable {
    private let configuration: @Sendable () -> ActiveConfiguration
    private let runner: AttemptRunner
    private let resilience: Resilience
    private let reporter: OutcomeReporter
    private let clock: any GatewayClock
    private let random: @Sendable () -> Double
    private let requestIDs: RequestIDs
    private let wallClock: @Sendable () -> Int64
    /// The admission stage (budgets); nil: every request may spend.
    private let budgets: Budgets?
    /// The response cache (lookups here, stores from the outcome report); nil: none.
    private let cache: ResponseCache?
    /// Identical cacheable requests in flight.
    private let flights = Flights()
    /// Fits a prompt to a target's window (`fit: truncate_oldest` and `error`).
    private let fitting: ContextFitting

    init(
        configuration: @escaping @Sendable () -> ActiveConfiguration,
        executor: any HTTPExecutor,
        resilience: Resilience,
        reporter: OutcomeReporter,
        clock: any GatewayClock = SystemClock(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        budgets: Budgets? = nil,
        cache: ResponseCache? = nil,
        requestIDs: RequestIDs = RequestIDs(),
        wallClock: @escaping @Sendable () -> Int64 = { WallClock.nowMilliseconds() },
        logger: Logger
    ) {
        self.requestIDs = requestIDs
        self.budgets = budgets
        self.cache = cache
        self.wallClock = wallClock
        self.configuration = configuration
        self.runner = AttemptRunner(executor: executor, clock: clock, logger: logger)
        self.fitting = ContextFitting(executor: executor, clock: clock)
        self.resilience = resilience
        self.reporter = reporter
        self.clock = clock
        self.random = random
    }

    /// Flights of identical requests in progress (`cache.stats` shows it).
    var flightsInProgress: Int { self.flights.count }

    /// The routing plan for a request naming `selection`, now: every candidate target, eligible or skipped with
    /// the reason (`routes.plan` shows it; `generate` runs it).
    func plan(
        _ selection: RouteSelection,
        promptTokens: Int?,
        tokens: Int,
        active: ActiveConfiguration? = nil,
        at now: ContinuousClock.Instant? = nil
    ) throws(RoutingError) -> RoutingPlan {
        let active = active ?? self.configuration()
        let groups = try RoutingPlanner.candidates(active.routing, for: selection)
        return self.plan(groups, promptTokens: promptTokens, tokens: tokens, active: active, at: now ?? self.clock.now)
    }

    private func plan(
        _ groups: [[TargetRef]],
        promptTokens: Int?,
        tokens: Int,
        active: ActiveConfiguration,
        at now: ContinuousClock.Instant
    ) -> RoutingPlan {
        let views = self.resilience.views(of: groups.flatMap { $0 }, tokens: tokens, at: now)
        return RoutingPlanner.plan(
            active.routing, candidates: groups, promptTokens: promptTokens, views: views, random: self.random, at: now
        )
    }

    /// Answers `request`, sending its events to `events` as they happen.
    ///
    /// - Throws: `GenerateFailure` when no target answered; `CancellationError` when the caller went away.
    func generate(_ request: GenerateRequest, events: GenerateEventSink?) async throws -> GenerateResult {
        let run = try self.start(request, events: events)
        if let budgets = self.budgets, let shared = budgets.shared, let reservation = run.reservation {
            try await self.reserveInFleet(reservation, budgets: budgets, shared: shared, run: run)
        }
        if run.cache != nil { return try await self.cached(run) }
        return try await self.direct(run)
    }

    /// The fleet's half of admission (`[shared]`): the local book's reservation is made across every daemon too; a
    /// refusal there fails the request as the local book's would.
    private func reserveInFleet(
        _ reservation: BudgetReservation,
        budgets: Budgets,
        shared: any SharedState,
        run: RequestRun
    ) async throws {
        // Held for the request's deadline and a minute: a daemon that dies holding it does not hold it forever.
        let holdFor = run.planner.deadline - run.started + .seconds(60)
        guard let refusal = await budgets.reserveInFleet(
            reservation, request: run.request, holdFor: holdFor, shared: shared
        ) else { return }
        run.reservation = nil
        let failure = self.budgetFailure(refusal, run: run)
        self.report(run, error: failure)
        throw failure
    }

    /// The provider's configured limits across the fleet (`[shared]`), before the local admission: a full fleet
    /// window makes the planner wait or move on, as a full local one does. False when the attempt may not go now
    /// (`run.action` says what follows).
    private func takeFleetRate(_ run: RequestRun) async -> Bool {
        // `provider(named:)`, not `policies`: that builds a dictionary of every provider's policy on each call.
        guard let shared = self.resilience.shared, case .send(let target, _, _, _) = run.action,
            let limits = run.active.registry.provider(named: target.provider)?.policy.limits,
            limits.requestsPerMinute != nil || limits.tokensPerMinute != nil || limits.requestsPerDay != nil
        else { return true }
        switch await shared.takeRate(provider: target.provider, limits: limits, tokens: run.estimatedTokens) {
        case .admit:
            run.fleetCounted = target
            return true
        case .local:
            return true
        case .wait(let wait):
            run.action = run.planner.windowFull(wait: wait, at: self.clock.now)
            return false
        }
    }

    /// A further attempt can be billed as well as the ones before: the reservation must cover what was billed so far
    /// and this attempt's worst case on this target, in the local book and (`[shared]`) across the fleet. Checked
    /// once per attempt and target, however often a rate window makes it wait. A refusal stops the request; its
    /// settlement frees what it holds.
    private func extendReservation(_ run: RequestRun) async -> BudgetRefusal? {
        guard case .send(let target, let number, _, _) = run.action, number > 1, var reservation = run.reservation,
            let budgets = self.budgets, run.reservedFor.map({ $0.number != number || $0.target != target }) ?? true
        else { return nil }
        let extended = budgets.extend(
            &reservation, for: run.request, target: target, billedSoFar: RequestCost(attempts: run.attempts),
            active: run.active
        )
        if let refusal = extended.refusal { return refusal }
        run.reservation = reservation
        run.reservedFor = (number, target)
        run.attemptWorstCase = extended.attempt
        guard let shared = budgets.shared else { return nil }
        // Held from now for the rest of the request and a minute, like the admission's hold.
        let holdFor = run.planner.deadline - self.clock.now + .seconds(60)
        return await budgets.extendInFleet(reservation, request: run.request, holdFor: holdFor, shared: shared)
    }

    /// The fleet counted an attempt the local admission then refused (a breaker, a full local window): its slot
    /// is given back, so that the fleet's window counts only what was sent.
    private func giveBackFleetRate(_ run: RequestRun) {
        guard let target = run.fleetCounted, let shared = self.resilience.shared else { return }
        run.fleetCounted = nil
        shared.giveBack(provider: target.provider, tokens: run.estimatedTokens)
    }

    /// The request's attempts, run by the caller's task: the path of every request the cache stays out of.
    private func direct(_ run: RequestRun) async throws -> GenerateResult {
        do {
            let result = try await self.attempts(run)
            self.report(run, answer: result)
            return result
        } catch {
            if let stale = self.staleAnswer(run, error: error) {
                self.report(run, answer: stale)
                return stale
            }
            self.report(run, error: error)
            throw error
        }
    }

    /// A cacheable request: a fresh stored answer, else a flight of identical requests to join or lead.
    private func cached(_ run: RequestRun) async throws -> GenerateResult {
        let context = run.cache!
        guard let key = context.lookup.key else { return try await self.direct(run) }
        if context.lookup.policy.mode.reads, let entry = self.cache!.lookup(key, policy: context.lookup.policy) {
            let result = self.served(entry.answer, kind: .hit, saved: entry.answer.costMicroUSD, run: run)
            self.report(run, answer: result)
            return result
        }
        // The fleet's L2 (`[shared] cache = true`): another daemon's answer is a hit here too.
        if context.lookup.policy.mode.reads, self.cache!.sharesEntries,
            let entry = await self.cache!.sharedLookup(key, policy: context.lookup.policy)
        {
            let result = self.served(entry.answer, kind: .hit, saved: entry.answer.costMicroUSD, run: run)
            self.report(run, answer: result)
            return result
        }
        guard context.lookup.policy.coalesces else { return try await self.direct(run) }
        let flightKey = Flights.Key(cacheKey: key, stream: run.request.chat.stream)
        switch self.flights.enter(flightKey) {
        case .join(let flight):
            return try await self.join(flight, waiter: flight.join(events: run.events), run: run)
        case .lead(let flight):
            // The previous flight may have stored its answer and ended between the lookup above and `enter`: look
            // again, now that identical requests wait on this flight instead of starting a call of their own.
            if context.lookup.policy.mode.reads,
                let entry = self.cache!.lookup(key, policy: context.lookup.policy, again: true)
            {
                let result = self.served(entry.answer, kind: .hit, saved: entry.answer.costMicroUSD, run: run)
                self.flights.remove(flightKey, flight)
                // Streamed joiners (a flight is all streamed or all not) receive the stored deltas as a hit would.
                if run.request.chat.stream {
                    for (sequence, delta) in entry.answer.deltas.enumerated() {
                        flight.emit(.delta(attempt: 1, seq: sequence, text: delta))
                    }
                }
                flight.finish(.success(result))
                self.report(run, answer: result)
                return result
            }
            let waiter = flight.join(events: run.events)
            // The leader's events reach every waiter (itself included) through the flight.
            run.events = { event in flight.emit(event) }
            let work: @Sendable () async -> Void = {
                let result: Result<GenerateResult, any Error>
                do {
                    result = .success(try await self.direct(run))
                } catch {
                    result = .failure(error)
                }
                self.flights.remove(flightKey, flight)
                flight.finish(result)
            }
            // On the caller's event loop when it has one: no hop to the global pool and back.
            let task =
                run.request.executor.map { Task(executorPreference: $0, operation: work) } ?? Task(operation: work)
            flight.run(task)
            return try await flight.wait(waiter)
        }
    }

    /// A joiner: the leader's answer, as this request's own (accounted as a cache hit; the leader paid). A failure
    /// that belongs to the leader's own request (its budget, its params) is not the joiner's: it runs on its own.
    private func join(_ flight: Flight, waiter: Int, run: RequestRun) async throws -> GenerateResult {
        let leader: GenerateResult
        do {
            leader = try await self.waitForLeader(flight, waiter: waiter, until: run.planner.deadline)
        } catch let failure as GenerateFailure {
            switch failure.kind {
            case .noProviderAvailable, .upstream, .rateLimited, .timeout, .structuredOutputInvalid:
                // Every target failed for the leader; they would for this request too, now.
                var own = failure
                own.requestID = run.requestID
                own.latency = self.clock.now - run.started
                self.report(run, error: own)
                throw own
            case .invalidRequest, .nothingConfigured, .outOfFileDescriptors, .budgetExhausted:
                return try await self.direct(run)
            }
        } catch {
            // This caller left; or the flight was abandoned by everyone else just before it joined.
            guard Task.isCancelled else { return try await self.direct(run) }
            self.report(run, error: error)
            throw error
        }
        let answer = CachedAnswer(
            text: leader.completion.text, reasoning: leader.completion.reasoning,
            finishReason: leader.completion.finishReason, model: leader.completion.model, usage: leader.usage,
            usageEstimated: leader.usageEstimated, deltaEnds: leader.details.deltaEnds, target: leader.target,
            json: leader.details.json
        )
        let saved =
            leader.details.served == nil ? leader.attempts.last?.charge?.cost?.total : leader.details.savedMicroUSD
        if leader.details.served == nil { self.cache?.countCoalesced(saving: saved) }
        let result = self.served(
            answer, kind: leader.details.served ?? .coalesced, saved: saved, run: run, replay: false
        )
        self.report(run, answer: result)
        return result
    }

    /// The leader's answer, or a timeout at this joiner's own deadline (its `timeout_ms` may be shorter than the
    /// leader's): the joiner then leaves the flight, which goes on for the others.
    private func waitForLeader(
        _ flight: Flight, waiter: Int, until deadline: ContinuousClock.Instant
    ) async throws -> GenerateResult {
        try await withThrowingTaskGroup(of: GenerateResult?.self) { group in
            group.addTask { try await flight.wait(waiter) }
            group.addTask {
                try await self.clock.sleep(until: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let answer = first else {
                throw GenerateFailure(kind: .timeout)
            }
            return answer
        }
    }

    /// A stored answer as this request's result; a streamed request first receives the stored deltas.
    private func served(
        _ answer: CachedAnswer,
        kind: CacheServe,
        saved: MicroUSD?,
        run: RequestRun,
        attempts: [AttemptRecord] = [],
        replay: Bool = true
    ) -> GenerateResult {
        if replay, let events = run.events, run.request.chat.stream {
            // Numbered as the attempt after the failed ones (1 for a hit); what they streamed is discarded first.
            let attempt = attempts.count + 1
            if run.partialOutput { events(.restart(attempt: attempt, reason: "stale_cache")) }
            events(.started(attempt: attempt, target: answer.target, requestID: run.requestID, served: kind))
            for (sequence, delta) in answer.deltas.enumerated() {
                events(.delta(attempt: attempt, seq: sequence, text: delta))
            }
        }
        return GenerateResult(
            requestID: run.requestID,
            completion: Completion(
                text: answer.text, reasoning: answer.reasoning, finishReason: answer.finishReason, model: answer.model,
                usage: answer.usage
            ),
            usage: answer.usage,
            usageEstimated: answer.usageEstimated,
            target: answer.target,
            latency: self.clock.now - run.started,
            ttft: nil,
            rateLimits: RateLimitSnapshot(),
            attempts: attempts,
            skipped: run.skipped,
            details: ResultDetails(served: kind, savedMicroUSD: saved, deltaEnds: answer.deltaEnds, json: answer.json)
        )
    }

    /// Stale-if-error: every target failed (-32001, every target rate limited, or one target's server error or
    /// 429) and an entry expired no longer than `stale_if_error` ago exists under any of the request's targets; it
    /// answers, with the failed attempts.
    @inline(never)  // keeps its temporaries out of the caller's async frame
    private func staleAnswer(_ run: RequestRun, error: any Error) -> GenerateResult? {
        guard let context = run.cache, context.lookup.policy.servesStale, let cache = self.cache,
            let failure = error as? GenerateFailure
        else { return nil }
        switch failure.kind {
        case .noProviderAvailable, .rateLimited: break
        case .upstream(_, let last) where (last.status ?? 0) >= 500 || last.kind == .rateLimited: break
        default: return nil
        }
        let keys = context.targets.map { context.lookup.policy.key(run.request.chat, target: $0) }
        guard let entry = cache.stale(keys, policy: context.lookup.policy) else { return nil }
        return self.served(
            entry.answer, kind: .stale, saved: entry.answer.costMicroUSD, run: run, attempts: run.attempts
        )
    }

    /// Everything a running request holds, in one object: the async frames of a held stream keep only a
    /// reference to it, and the planning and bookkeeping run in synchronous methods beside them. Unchecked
    /// Sendable: one task at a time uses it — the caller's, or a flight's task once the caller has handed it over.
    private final class RequestRun: @unchecked Sendable {
        let requestID: String
        /// When the request started, in Unix milliseconds (the ledger's time, the budgets' period).
        let wallStart: Int64
        let request: GenerateRequest
        let active: ActiveConfiguration
        /// Where the request's events go (a flight's leader sends them to every waiter).
        var events: GenerateEventSink?
        let started: ContinuousClock.Instant
        /// What the rate windows are charged before the provider reports real usage.
        let estimatedTokens: Int
        var planner: AttemptPlanner
        var action: AttemptPlanner.Action
        var attempts: [AttemptRecord] = []
        var skipped: [SkippedTarget] = []
        /// Characters of answer text sent by failed attempts that the caller was not told to discard.
        var partialCharacters = 0
        var partialOutput = false
        var lastError: ProviderError?
        var lastTarget: TargetRef?
        var lastDisposition: FailureDisposition?
        /// Waited since the last attempt.
        var pendingWait: Duration = .zero
        /// The target the fleet's rate window has just counted, until the local admission takes or refuses it.
        var fleetCounted: TargetRef?
        /// The attempt in flight, between `admit` and `settle`.
        var current: Attempt?
        /// What admission reserved on the caller's budgets (grown for each further attempt).
        var reservation: BudgetReservation?
        /// The attempt (number and target) the reservation was last made to cover, and that attempt's worst case.
        var reservedFor: (number: Int, target: TargetRef)?
        var attemptWorstCase: BudgetEstimate?
        /// The cache's part in the request; nil: it stays out.
        var cache: CacheContext?
        /// The caller was told to discard streamed output at least once (such an answer is never stored).
        var restartedOnce = false
        /// What the next attempt sends when it is not `request` (a fitted or a repair prompt).
        var attemptRequest: GenerateRequest?
        /// What context fitting did for the last attempt: messages dropped and the prompt's size.
        var fitted: (trimmed: Int, promptTokens: Int)?
        /// Attempts skipped because the prompt did not fit (`fit: error` turns these into -32602).
        var tooLarge: [(target: TargetRef, promptTokens: Int, window: Int, reserve: Int)] = []
        /// The check of a JSON answer (`response_format` json_object or json_schema); nil: text.
        var structured: StructuredAnswerCheck?
        /// A rejected answer's repair: the messages the next attempt on `target` appends to the prompt.
        var repair: (target: TargetRef, messages: [ChatMessage])?
        /// Targets whose answer was rejected once already (each gets one repair).
        var repairedTargets: Set<TargetRef> = []
        /// The last rejected answer's problems (-32011 reports them when no target does better).
        var violations: [String]?

        init(
            requestID: String,
            wallStart: Int64,
            request: GenerateRequest,
            active: ActiveConfiguration,
            events: GenerateEventSink?,
            started: ContinuousClock.Instant,
            estimatedTokens: Int,
            planner: AttemptPlanner
        ) {
            self.requestID = requestID
            self.wallStart = wallStart
            self.request = request
            self.active = active
            self.events = events
            self.started = started
            self.estimatedTokens = estimatedTokens
            self.planner = planner
            self.action = self.planner.start(at: started)
        }
    }

    /// What the cache needs of a request: its policy, the key of the plan's first target (nil: no target to
    /// look up) and every candidate target (stale-if-error looks under each).
    private struct CacheContext {
        var lookup: CacheLookup
        var targets: [TargetRef]
    }

    /// Plans the request and sets up its run; a request that names nothing routable fails here (and is reported).
    @inline(never)  // keeps its temporaries out of the caller's async frame
    private func start(_ request: GenerateRequest, events: GenerateEventSink?) throws -> RequestRun {
        let active = self.configuration()
        let started = self.clock.now
        let requestID = self.requestIDs.next()
        let wallStart = self.wallClock()
        let failed = { (kind: GenerateFailure.Kind) -> GenerateFailure in
            let failure = GenerateFailure(kind: kind, requestID: requestID)
            self.reporter.report(
                RequestOutcome(
                    requestID: requestID, request: request, wallStart: wallStart,
                    promptSHA256: request.chat.promptSHA256, started: started, ended: self.clock.now, attempts: [],
                    cost: RequestCost(), reservation: nil, result: .failed(failure)
                )
            )
            return failure
        }
        let groups: [[TargetRef]]
        do {
            groups = try RoutingPlanner.candidates(active.routing, for: request.selection)
        } catch {
            throw failed(Self.failureKind(error))
        }
        // Admission, before planning: the worst case is reserved on the caller's budgets, or nothing is sent.
        var admitted = request
        var reservation: BudgetReservation?
        if let budgets = self.budgets {
            switch budgets.admit(request, targets: groups.flatMap { $0 }, active: active) {
            case .refused(let refusal):
                throw failed(.budgetExhausted(refusal))
            case .admitted(let request, let held):
                admitted = request
                reservation = held
            }
        }
        let promptTokens = admitted.chat.estimatedPromptTokens
        let estimatedTokens = promptTokens + (admitted.chat.maxTokens ?? 1024)
        // With `fit` other than fail_over, fitting decides per attempt: planning must not rule a target out by the
        // untrimmed size.
        let plan = self.plan(
            groups, promptTokens: admitted.fit == .failOver ? promptTokens : nil, tokens: estimatedTokens,
            active: active, at: started
        )
        let planner = AttemptPlanner(
            candidates: plan.eligible.compactMap { self.candidate($0, active: active) },
            fallback: plan.allOpenFallback.flatMap { self.candidate($0, active: active) },
            deadline: started + (admitted.timeout ?? active.loaded.config.defaults.timeout)
        )
        let run = RequestRun(
            requestID: requestID, wallStart: wallStart, request: admitted, active: active, events: events,
            started: started, estimatedTokens: estimatedTokens, planner: planner
        )
        run.reservation = reservation
        // The schema compiled when the params were read: it compiles here too.
        run.structured = admitted.chat.responseFormat.wantsJSON
            ? try? StructuredAnswerCheck(admitted.chat.responseFormat) : nil
        run.attemptWorstCase = reservation.map { BudgetEstimate(microUSD: $0.microUSD, tokens: $0.tokens) }
        run.skipped = plan.skipped.map { SkippedTarget(target: $0.target, reason: $0.reason, at: started) }
        if let cache = self.cache {
            // The plan's first eligible target is the one a fresh answer would come from. Nothing is allocated
            // here for a request the cache stays out of.
            let first = plan.entries.first(where: \.isEligible)?.target ?? plan.allOpenFallback
                ?? groups.lazy.compactMap(\.first).first
            let kind = first.flatMap { active.registry.provider(named: $0.provider)?.endpoint.kind }
            if let policy = cache.policy(for: admitted, kind: kind, config: active.loaded.config.cache) {
                let targets = groups.flatMap { $0 }
                run.cache = CacheContext(
                    lookup: CacheLookup(
                        policy: policy, key: first.map { policy.key(admitted.chat, target: $0) }, target: first
                    ),
                    targets: targets
                )
            }
        }
        return run
    }

    /// Performs the planner's actions until the request is answered or fails. Only the awaits live here.
    @inline(never)
    private func attempts(_ run: RequestRun) async throws -> GenerateResult {
        while true {
            try Task.checkCancellation()
            switch run.action {
            case .send:
                if run.request.fit != .failOver, !(await self.fit(run)) { continue }
                if self.resilience.shared != nil, !(await self.takeFleetRate(run)) { continue }
                if let refusal = await self.extendReservation(run) {
                    self.giveBackFleetRate(run)
                    throw self.budgetFailure(refusal, run: run)
                }
                guard self.admit(run) else {
                    self.giveBackFleetRate(run)
                    continue
                }
                if let events = run.events, run.request.chat.stream {
                    events(
                        .started(
                            attempt: run.current!.number, target: run.current!.target, requestID: run.requestID,
                            served: nil
                        )
                    )
                }
                let outcome = await self.runner.run(
                    request: self.attemptRequest(run), target: run.current!.target, provider: run.current!.provider,
                    number: run.current!.number, deadline: run.planner.deadline, events: run.events,
                    redactor: run.active.registry.redactor
                )
                if Task.isCancelled {
                    self.abandon(outcome, run: run)
                    throw CancellationError()
                }
                if let result = self.settle(outcome, run: run) { return result }
            case .wait(let until, _):
                let before = self.clock.now
                try await self.clock.sleep(until: until)
                let now = self.clock.now
                run.pendingWait += now - before
                run.action = run.planner.waited(at: now)
            case .restart(let number, let reason):
                run.events?(.restart(attempt: number, reason: reason))
                run.restartedOnce = true
                // Retracted: the caller discards it.
                run.partialOutput = false
                run.partialCharacters = 0
                run.action = run.planner.restartAnnounced(at: self.clock.now)
            case .fail(let failure):
                throw self.failed(failure, run: run)
            }
        }
    }

    /// What the attempt in flight sends: the request, fitted to its target's window, with a repair's messages.
    private func attemptRequest(_ run: RequestRun) -> GenerateRequest {
        // Fitting ran for this attempt: its chat is complete (repair included).
        if run.request.fit != .failOver, let fitted = run.attemptRequest { return fitted }
        let base = run.request
        guard let repair = run.repair, repair.target == run.current?.target else { return base }
        var chat = base.chat
        chat.messages += repair.messages
        return base.with(chat: chat)
    }

    /// Fits the prompt to the target of the planner's `send` (`truncate_oldest` trims, `error` only measures);
    /// false when it cannot fit there, and the planner moves on (`run.action`).
    private func fit(_ run: RequestRun) async -> Bool {
        guard case .send(let target, _, _, _) = run.action,
            let provider = run.active.registry.provider(named: target.provider)
        else { return true }
        // A repair's messages are part of what must fit, and are never dropped (they end the conversation).
        var chat = run.request.chat
        if let repair = run.repair, repair.target == target {
            chat.messages += repair.messages.map { ChatMessage(role: $0.role, content: $0.content, keep: true) }
        }
        let result = await self.fitting.fit(
            chat, mode: run.request.fit, target: target, provider: provider, deadline: run.planner.deadline
        )
        return self.apply(result, target: target, run: run)
    }

    @inline(never)  // keeps its temporaries out of the caller's async frame
    private func apply(_ result: ContextFitResult, target: TargetRef, run: RequestRun) -> Bool {
        switch result {
        case .send(let chat, let trimmed, let promptTokens):
            // The fitted chat carries the repair's messages already.
            run.attemptRequest = run.request.with(chat: chat)
            run.fitted = (trimmed, promptTokens)
            return true
        case .unknownWindow(let chat):
            run.attemptRequest = run.request.with(chat: chat)
            run.fitted = (0, run.request.chat.estimatedPromptTokens)
            return true
        case .tooLarge(let promptTokens, let window, let reserve):
            run.tooLarge.append((target, promptTokens, window, reserve))
            run.action = run.planner.admissionRefused(
                .contextWindowTooSmall(window: window, needed: promptTokens + reserve), at: self.clock.now
            )
            return false
        }
    }

    /// Asks the resilience shell whether the planner's `send` may go now; on a refusal or a full window the
    /// planner decides again (`run.action`) and this returns false.
    @inline(never)  // keeps its temporaries out of the caller's async frame
    private func admit(_ run: RequestRun) -> Bool {
        guard case .send(let target, let number, _, let forced) = run.action else { return false }
        let now = self.clock.now
        guard let provider = run.active.registry.provider(named: target.provider) else {
            run.action = run.planner.admissionRefused(.disabled, at: now)
            return false
        }
        switch self.resilience.admit(
            target, table: run.active.routing, tokens: run.estimatedTokens, forcedProbe: forced, at: now
        ) {
        case .skip(let reason):
            run.action = run.planner.admissionRefused(reason, at: now)
            return false
        case .wait(let wait):
            run.action = run.planner.windowFull(wait: wait, at: now)
            return false
        case .go(let probes):
            run.current = Attempt(
                target: target, provider: provider, number: number, probes: probes, estimatedTokens: run.estimatedTokens,
                fleetCounted: run.fleetCounted == target
            )
            run.fleetCounted = nil
            return true
        }
    }

    /// One admitted attempt, as `settle` needs it.
    private struct Attempt {
        var target: TargetRef
        var provider: ProviderRegistry.Provider
        var number: Int
        var probes: BreakerPair.ProbeSlots
        var estimatedTokens: Int
        /// The fleet's rate window counted it (`[shared]`).
        var fleetCounted = false
    }

    /// Reports a finished attempt, records it, and asks the planner what follows (`run.action`); returns the
    /// answer when there is one. Synchronous on purpose: its temporaries live on the thread's stack, not in the
    /// request's async frames (which a held stream keeps).
    @inline(never)  // keeps its temporaries out of the caller's async frame
    private func settle(_ outcome: AttemptRunner.Run, run: RequestRun) -> GenerateResult? {
        let attempt = run.current!
        run.current = nil
        let target = attempt.target
        switch outcome.result {
        case .success(let answer):
            let reported = self.attemptOutcome(
                outcome, attempt, run: run,
                result: .answered(
                    AttemptOutcome.Answer(
                        status: answer.status, latency: answer.ttft ?? outcome.latency,
                        totalTokens: answer.completion.usage?.totalTokens, rateLimits: answer.rateLimits
                    )
                )
            )
            _ = self.reporter.report(reported)
            let billed = answer.completion.usage.map { BilledUsage(usage: $0, estimated: false) }
                ?? BilledUsage.estimate(
                    promptTokens: run.request.chat.estimatedPromptTokens, text: answer.completion.text,
                    reasoning: answer.completion.reasoning ?? ""
                )
            run.attempts.append(
                AttemptRecord(
                    target: target, error: nil, reason: nil, latency: outcome.latency, status: answer.status,
                    wait: run.pendingWait, charge: self.charge(billed, attempt: attempt)
                )
            )
            var json: JSONValue?
            if let check = run.structured {
                switch check.check(answer.completion.text) {
                case .valid(let value):
                    json = value
                case .invalid(let problems):
                    self.reject(answer, problems: problems, target: target, run: run)
                    return nil
                }
            }
            let now = self.clock.now
            run.skipped += run.planner.skipped.map { SkippedTarget(target: $0.target, reason: $0.reason, at: now) }
            return self.result(answer, target: target, chat: run.request.chat, run: run, json: json)
        case .failure(let failure):
            let error = failure.error
            let disposition = FailurePolicy.disposition(
                for: error, failoverOnContentFilter: attempt.provider.policy.failoverOnContentFilter
            )
            let reason = FailureReason.code(for: error, streamStarted: failure.outputSent)
            let feedback = self.reporter.report(
                self.attemptOutcome(
                    outcome, attempt, run: run,
                    result: .failed(
                        AttemptOutcome.Failure(
                            error: error, disposition: disposition, reason: reason, outputSent: failure.outputSent,
                            sentCharacters: failure.sentCharacters
                        )
                    )
                )
            )
            run.attempts.append(
                AttemptRecord(
                    target: target, error: error, reason: reason, latency: outcome.latency, status: error.status,
                    wait: run.pendingWait, charge: self.charge(failure, attempt: attempt, run: run)
                )
            )
            run.pendingWait = .zero
            run.lastError = error
            run.lastTarget = target
            run.lastDisposition = disposition
            if failure.outputSent {
                run.partialOutput = true
                run.partialCharacters += failure.sentCharacters
            }
            run.action = run.planner.attemptFailed(
                hint: error.hints.retryAfter, disposition: disposition, reason: reason, outputSent: failure.outputSent,
                breakerAdmits: feedback.breakerAdmits, random: self.random(), at: self.clock.now
            )
            return nil
        }
    }

    /// An answer that does not validate: recorded as a failed attempt (billed as answered; the provider itself
    /// worked, so its health is not touched), then one repair on the same target — the answer and its problems sent
    /// back — or the next target; what it streamed is retracted first.
    private func reject(_ answer: AttemptRunner.Answer, problems: [String], target: TargetRef, run: RequestRun) {
        let reason = "invalid_structured_output"
        let error = ProviderError(
            kind: .malformed, status: answer.status,
            message: "the answer does not match the requested JSON format: "
                + problems.prefix(3).joined(separator: "; ")
        )
        if var last = run.attempts.popLast() {
            last.error = error
            last.reason = reason
            run.attempts.append(last)
        }
        run.pendingWait = .zero
        run.violations = problems
        run.lastError = error
        run.lastTarget = target
        let streamed = run.request.chat.stream && !answer.completion.text.isEmpty
        if streamed {
            run.partialOutput = true
            run.partialCharacters += answer.completion.text.count
        }
        let repairHere = run.repairedTargets.insert(target).inserted
        run.repair = repairHere
            ? (
                target,
                [
                    ChatMessage(role: .assistant, content: answer.completion.text),
                    ChatMessage(role: .user, content: StructuredAnswerCheck.repairPrompt(problems)),
                ]
            ) : nil
        run.action = run.planner.answerRejected(
            reason: reason, repairOnSameTarget: repairHere, outputSent: streamed, at: self.clock.now
        )
    }

    /// What a failed attempt was billed: what the provider reported or what its 2xx answer carried, else nothing
    /// — unless it was sent and never answered, when its bill is unknown.
    private func charge(_ failure: AttemptRunner.Failure, attempt: Attempt, run: RequestRun) -> AttemptCharge? {
        if let billed = failure.billed { return self.charge(billed, attempt: attempt) }
        guard AttemptCharge.mayHaveBeenBilled(failure.error) else { return nil }
        return AttemptCharge(
            unknownBill: BilledUsage.estimate(promptTokens: run.request.chat.estimatedPromptTokens, text: ""),
            reserved: run.attemptWorstCase
        )
    }

    /// What `billed` cost at the attempt's model's price (unknown when the model has none).
    private func charge(_ billed: BilledUsage, attempt: Attempt) -> AttemptCharge {
        AttemptCharge(billed: billed, price: attempt.provider.price(of: attempt.target.model))
    }

    private func candidate(_ target: TargetRef, active: ActiveConfiguration) -> AttemptPlanner.Candidate? {
        guard let provider = active.registry.provider(named: target.provider) else { return nil }
        return AttemptPlanner.Candidate(
            target: target, retry: provider.policy.retry, maxQueueWait: provider.policy.maxQueueWait,
            contextWindow: provider.contextWindow(of: target.model)
        )
    }

    private func attemptOutcome(
        _ outcome: AttemptRunner.Run,
        _ attempt: Attempt,
        run request: RequestRun,
        result: AttemptOutcome.Result
    ) -> AttemptOutcome {
        AttemptOutcome(
            target: attempt.target, number: attempt.number, wait: request.pendingWait, started: outcome.started,
            ended: outcome.ended, estimatedTokens: attempt.estimatedTokens, probes: attempt.probes, result: result,
            fleetCounted: attempt.fleetCounted
        )
    }

    /// The caller left mid-attempt: the attempt is reported abandoned, so nothing is counted against the provider.
    @inline(never)  // keeps its temporaries out of the caller's async frame
    private func abandon(_ outcome: AttemptRunner.Run, run: RequestRun) {
        guard let attempt = run.current else { return }
        run.current = nil
        _ = self.reporter.report(self.attemptOutcome(outcome, attempt, run: run, result: .abandoned))
        // Kept for the ledger and the budgets: a cancelled request is charged what the provider billed.
        let charge: AttemptCharge?
        let status: Int?
        switch outcome.result {
        case .success(let answer):
            let billed = answer.completion.usage.map { BilledUsage(usage: $0, estimated: false) }
                ?? BilledUsage.estimate(
                    promptTokens: run.request.chat.estimatedPromptTokens, text: answer.completion.text
                )
            charge = self.charge(billed, attempt: attempt)
            status = answer.status
        case .failure(let failure):
            charge = self.charge(failure, attempt: attempt, run: run)
            status = failure.error.status
        }
        run.attempts.append(
            AttemptRecord(
                target: attempt.target, error: ProviderError(kind: .transport(.other), message: "cancelled"),
                reason: "cancelled", latency: outcome.latency, status: status, wait: run.pendingWait,
                charge: charge, abandoned: true
            )
        )
    }

    /// A budget refused a further attempt: the request fails with what was tried so far.
    @inline(never)  // keeps its temporaries out of the caller's async frame
    private func budgetFailure(_ refusal: BudgetRefusal, run: RequestRun) -> any Error {
        var failure = GenerateFailure(
            kind: .budgetExhausted(refusal), requestID: run.requestID, attempts: run.attempts, skipped: run.skipped,
            partialOutputCharacters: run.partialOutput ? run.partialCharacters : nil, lastError: run.lastError,
            latency: self.clock.now - run.started
        )
        let now = self.clock.now
        failure.skipped += run.planner.skipped.map { SkippedTarget(target: $0.target, reason: $0.reason, at: now) }
        return failure
    }

    /// The planner gave up: the failure, boxed for throwing (the value stays out of the async frame).
    @inline(never)  // keeps its temporaries out of the caller's async frame
    private func failed(_ failure: AttemptPlanner.Failure, run: RequestRun) -> any Error {
        let now = self.clock.now
        run.skipped += run.planner.skipped.map { SkippedTarget(target: $0.target, reason: $0.reason, at: now) }
        return self.failure(failure, run: run)
    }

    @inline(never)  // keeps its temporaries out of the caller's async frame
    private func report(_ run: RequestRun, answer: GenerateResult) {
        self.report(run, result: .answered(answer))
    }

    @inline(never)  // keeps its temporaries out of the caller's async frame
    private func report(_ run: RequestRun, error: any Error) {
        self.report(run, result: (error as? GenerateFailure).map { .failed($0) } ?? .cancelled)
    }

    @inline(never)  // keeps its temporaries out of the caller's async frame
    private func report(_ run: RequestRun, result: RequestOutcome.Result) {
        // An answer has summed its attempts already; a failure or a cancellation sums them here.
        let cost: RequestCost
        if case .answered(let answer) = result { cost = answer.cost } else { cost = RequestCost(attempts: run.attempts) }
        self.reporter.report(
            RequestOutcome(
                requestID: run.requestID, request: run.request, wallStart: run.wallStart,
                promptSHA256: run.request.chat.promptSHA256, started: run.started,
                ended: self.clock.now, attempts: run.attempts, cost: cost, reservation: run.reservation,
                result: result, cache: run.cache?.lookup
            )
        )
    }

    // MARK: - Results

    private func result(
        _ answer: AttemptRunner.Answer,
        target: TargetRef,
        chat: ChatRequest,
        run: RequestRun,
        json: JSONValue? = nil
    ) -> GenerateResult {
        let completion = answer.completion
        let usage = completion.usage
            ?? Usage(
                promptTokens: chat.estimatedPromptTokens, completionTokens: TokenEstimate.tokens(in: completion.text)
            )
        return GenerateResult(
            requestID: run.requestID,
            completion: completion,
            usage: usage,
            usageEstimated: completion.usage == nil,
            target: target,
            latency: self.clock.now - run.started,
            ttft: answer.ttft,
            rateLimits: answer.rateLimits,
            attempts: run.attempts,
            skipped: run.skipped,
            details: ResultDetails(
                deltaEnds: answer.deltaEnds, restarted: run.restartedOnce, json: json,
                trimmedMessages: run.fitted?.trimmed ?? 0,
                promptTokensEstimated: run.request.fit == .truncateOldest ? run.fitted?.promptTokens : nil
            )
        )
    }

    private func failure(_ failure: AttemptPlanner.Failure, run: RequestRun) -> GenerateFailure {
        var result = GenerateFailure(
            kind: .noProviderAvailable, requestID: run.requestID, attempts: run.attempts, skipped: run.skipped,
            partialOutputCharacters: run.partialOutput ? run.partialCharacters : nil, lastError: run.lastError,
            latency: self.clock.now - run.started
        )
        let attempts = run.attempts
        if let violations = run.violations, attempts.last?.reason == "invalid_structured_output",
            failure != .deadline
        {
            result.kind = .structuredOutputInvalid(violations)
            return result
        }
        if run.request.fit == .error, attempts.isEmpty, let largest = run.tooLarge.max(by: { $0.window < $1.window }) {
            // `fit: error`: the prompt fits no target; the caller learns the sizes.
            result.kind = .invalidRequest(
                field: "messages",
                message: "the prompt (\(largest.promptTokens) tokens) and max_tokens (\(largest.reserve)) do not fit "
                    + "any target's context window (the largest is \(largest.window) tokens, on "
                    + "\(largest.target)); shorten the conversation or use fit: \"truncate_oldest\""
            )
            return result
        }
        // The request's deadline is the transport's overall clock: its expiry is a timeout, however it surfaced.
        if failure == .deadline || run.lastError?.kind == .transport(.deadline) {
            result.kind = .timeout
        } else if run.lastError?.kind == .transport(.outOfFileDescriptors) {
            result.kind = .outOfFileDescriptors
        } else if let last = run.lastError, let target = run.lastTarget {
            if attempts.allSatisfy({ $0.error?.kind == .rateLimited }), let wait = last.hints.retryAfter {
                result.kind = .rateLimited(retryAfter: wait)
            } else if run.lastDisposition?.failover == FailureDisposition.Failover.none
                || (attempts.count == 1 && last.status != nil)
            {
                // The provider's own answer (a refusal, a bad request): the caller gets its reason.
                result.kind = .upstream(target, last)
            }
        } else if attempts.isEmpty {
            let waits = run.skipped.compactMap { if case .noWindowRoom(let wait) = $0.reason { wait } else { nil } }
            if let wait = waits.min() { result.kind = .rateLimited(retryAfter: wait) }
        }
        return result
    }

    private static func failureKind(_ error: RoutingError) -> GenerateFailure.Kind {
        switch error.kind {
        case .invalidField(let field): .invalidRequest(field: field, message: error.message)
        case .nothingConfigured: .nothingConfigured(error.message)
        }
    }
}
