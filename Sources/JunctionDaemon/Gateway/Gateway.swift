import JunctionCore
import JunctionProviders
import JunctionRPC
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

    init(
        configuration: @escaping @Sendable () -> ActiveConfiguration,
        executor: any HTTPExecutor,
        resilience: Resilience,
        reporter: OutcomeReporter,
        clock: any GatewayClock = SystemClock(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        logger: Logger
    ) {
        self.configuration = configuration
        self.runner = AttemptRunner(executor: executor, clock: clock, logger: logger)
        self.resilience = resilience
        self.reporter = reporter
        self.clock = clock
        self.random = random
    }

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
        let now = now ?? self.clock.now
        let groups = try RoutingPlanner.candidates(active.routing, for: selection)
        let views = self.resilience.views(of: groups.flatMap { $0 }, tokens: tokens, at: now)
        return RoutingPlanner.plan(
            active.routing, candidates: groups, promptTokens: promptTokens, views: views, random: self.random, at: now
        )
    }

    /// Answers `request`, sending its events to `events` as they happen.
    ///
    /// - Throws: `GenerateFailure` when no target answered; `CancellationError` when the caller went away.
    func generate(_ request: GenerateRequest, events: GenerateEventSink?) async throws -> GenerateResult {
        let active = self.configuration()
        let started = self.clock.now
        let promptTokens = request.chat.estimatedPromptTokens
        // What the rate windows are charged before the provider reports real usage.
        let estimatedTokens = promptTokens + (request.chat.maxTokens ?? 1024)
        var run = RequestRun(started: started)
        do {
            let plan: RoutingPlan
            do {
                plan = try self.plan(
                    request.selection, promptTokens: promptTokens, tokens: estimatedTokens, active: active,
                    at: started
                )
            } catch {
                throw GenerateFailure(kind: Self.failureKind(error))
            }
            run.skipped = plan.skipped.map { SkippedTarget(target: $0.target, reason: $0.reason, at: started) }
            let result = try await self.run(
                plan, request: request, active: active, estimatedTokens: estimatedTokens, events: events, run: &run
            )
            self.report(request, started: started, result: .answered(result))
            return result
        } catch let failure as GenerateFailure {
            self.report(request, started: started, result: .failed(failure))
            throw failure
        } catch {
            self.report(request, started: started, result: .cancelled)
            throw error
        }
    }

    /// What a request did so far, across targets.
    private struct RequestRun {
        var started: ContinuousClock.Instant
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
    }

    private func run(
        _ plan: RoutingPlan,
        request: GenerateRequest,
        active: ActiveConfiguration,
        estimatedTokens: Int,
        events: GenerateEventSink?,
        run: inout RequestRun
    ) async throws -> GenerateResult {
        let deadline = run.started + (request.timeout ?? active.loaded.config.defaults.timeout)
        var planner = AttemptPlanner(
            candidates: plan.eligible.compactMap { self.candidate($0, active: active) },
            fallback: plan.allOpenFallback.flatMap { self.candidate($0, active: active) },
            deadline: deadline
        )
        var action = planner.start(at: run.started)
        while true {
            try Task.checkCancellation()
            switch action {
            case .send(let target, let number, let attemptDeadline, let forced):
                let now = self.clock.now
                guard let provider = active.registry.provider(named: target.provider) else {
                    action = planner.admissionRefused(.disabled, at: now)
                    continue
                }
                switch self.resilience.admit(
                    target, table: active.routing, tokens: estimatedTokens, forcedProbe: forced, at: now
                ) {
                case .skip(let reason):
                    action = planner.admissionRefused(reason, at: now)
                    continue
                case .wait(let wait):
                    action = planner.windowFull(wait: wait, at: now)
                    continue
                case .go(let probe):
                    let outcome = await self.runner.run(
                        chat: request.chat, target: target, provider: provider, number: number,
                        deadline: attemptDeadline, events: events
                    )
                    if Task.isCancelled {
                        // The caller left: no outcome is counted against the provider.
                        _ = self.reporter.report(
                            self.attemptOutcome(
                                outcome,
                                Attempt(
                                    target: target, provider: provider, number: number, probe: probe,
                                    estimatedTokens: estimatedTokens
                                ),
                                run: run, result: .abandoned
                            )
                        )
                        throw CancellationError()
                    }
                    let attempt = Attempt(
                        target: target, provider: provider, number: number, probe: probe, estimatedTokens: estimatedTokens
                    )
                    switch self.settle(outcome, attempt, chat: request.chat, run: &run, planner: &planner) {
                    case .answered(let result): return result
                    case .next(let next): action = next
                    }
                }
            case .wait(let until, _):
                let before = self.clock.now
                try await self.clock.sleep(until: until)
                let now = self.clock.now
                run.pendingWait += now - before
                action = planner.waited(at: now)
            case .restart(let number, let reason):
                events?(.restart(attempt: number, reason: reason))
                // Retracted: the caller discards it.
                run.partialOutput = false
                run.partialCharacters = 0
                action = planner.restartAnnounced(at: self.clock.now)
            case .fail(let failure):
                let now = self.clock.now
                run.skipped += planner.skipped.map { SkippedTarget(target: $0.target, reason: $0.reason, at: now) }
                throw self.failure(failure, run: run)
            }
        }
    }

    /// One admitted attempt, as `settle` needs it.
    private struct Attempt {
        var target: TargetRef
        var provider: ProviderRegistry.Provider
        var number: Int
        var probe: Bool
        var estimatedTokens: Int
    }

    private enum Settled {
        case answered(GenerateResult)
        case next(AttemptPlanner.Action)
    }

    /// Reports a finished attempt, records it, and asks the planner what follows. Synchronous on purpose: its
    /// temporaries live on the thread's stack, not in the request's async frames (which a held stream keeps).
    private func settle(
        _ outcome: AttemptRunner.Run,
        _ attempt: Attempt,
        chat: ChatRequest,
        run: inout RequestRun,
        planner: inout AttemptPlanner
    ) -> Settled {
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
            run.attempts.append(
                AttemptRecord(
                    target: target, error: nil, reason: nil, latency: outcome.latency, status: answer.status,
                    wait: run.pendingWait
                )
            )
            let now = self.clock.now
            run.skipped += planner.skipped.map { SkippedTarget(target: $0.target, reason: $0.reason, at: now) }
            return .answered(self.result(answer, target: target, chat: chat, run: run))
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
                    wait: run.pendingWait
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
            return .next(
                planner.attemptFailed(
                    hint: error.hints.retryAfter, disposition: disposition, reason: reason,
                    outputSent: failure.outputSent, breakerAdmits: feedback.breakerAdmits, random: self.random(),
                    at: self.clock.now
                )
            )
        }
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
            ended: outcome.ended, estimatedTokens: attempt.estimatedTokens, probe: attempt.probe, result: result
        )
    }

    private func report(_ request: GenerateRequest, started: ContinuousClock.Instant, result: RequestOutcome.Result) {
        self.reporter.report(
            RequestOutcome(
                caller: request.caller, label: request.label, client: request.client, selection: request.selection,
                stream: request.chat.stream, started: started, ended: self.clock.now, result: result
            )
        )
    }

    // MARK: - Results

    private func result(
        _ answer: AttemptRunner.Answer,
        target: TargetRef,
        chat: ChatRequest,
        run: RequestRun
    ) -> GenerateResult {
        let completion = answer.completion
        let usage = completion.usage
            ?? Usage(promptTokens: chat.estimatedPromptTokens, completionTokens: TokenEstimate.tokens(in: completion.text))
        return GenerateResult(
            completion: completion,
            usage: usage,
            usageEstimated: completion.usage == nil,
            target: target,
            latency: self.clock.now - run.started,
            ttft: answer.ttft,
            rateLimits: answer.rateLimits,
            attempts: run.attempts,
            skipped: run.skipped
        )
    }

    private func failure(_ failure: AttemptPlanner.Failure, run: RequestRun) -> GenerateFailure {
        var result = GenerateFailure(
            kind: .noProviderAvailable, attempts: run.attempts, skipped: run.skipped,
            partialOutputCharacters: run.partialOutput ? run.partialCharacters : nil, lastError: run.lastError
        )
        let attempts = run.attempts
        // The request's deadline is the transport's overall clock: its expiry is a timeout, however it surfaced.
        if failure == .deadline || run.lastError?.kind == .transport(.deadline) {
            result.kind = .timeout
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
