import Testing

@testable import JunctionCore

/// The attempt planner, row by row against the README's failure-policy table, with a manual clock: every test
/// passes instants in and compares actions; nothing sleeps.
@Suite("Attempt planner")
struct AttemptPlannerTests {
    let start = ContinuousClock.now
    let a = TargetRef(provider: "a", model: "m")
    let b = TargetRef(provider: "b", model: "m")
    let retry = RetryPolicy(maxRetries: 3, initialDelay: .seconds(1), maxDelay: .seconds(30), jitter: .fraction(0))

    func planner(
        windows: (Int?, Int?) = (nil, nil),
        deadline: Duration = .seconds(60),
        maxQueueWait: Duration = .seconds(5)
    ) -> AttemptPlanner {
        AttemptPlanner(
            candidates: [
                .init(target: self.a, retry: self.retry, maxQueueWait: maxQueueWait, contextWindow: windows.0),
                .init(target: self.b, retry: self.retry, maxQueueWait: maxQueueWait, contextWindow: windows.1),
            ],
            deadline: self.start + deadline
        )
    }

    func send(_ target: TargetRef, _ attempt: Int, deadline: Duration = .seconds(60), forced: Bool = false) -> AttemptPlanner.Action {
        .send(target, attempt: attempt, deadline: self.start + deadline, forcedProbe: forced)
    }

    /// Fails the current attempt with `error`, classified by `FailurePolicy`.
    func fail(
        _ planner: inout AttemptPlanner,
        _ error: ProviderError,
        outputSent: Bool = false,
        breakerAdmits: Bool = true,
        after elapsed: Duration = .zero
    ) -> AttemptPlanner.Action {
        planner.attemptFailed(
            hint: error.hints.retryAfter, disposition: FailurePolicy.disposition(for: error),
            reason: FailureReason.code(for: error, streamStarted: outputSent), outputSent: outputSent,
            breakerAdmits: breakerAdmits, random: 0.5, at: self.start + elapsed
        )
    }

    @Test func serverErrorsAreRetriedWithBackoffThenFailOver() {
        var planner = self.planner()
        #expect(planner.start(at: self.start) == self.send(self.a, 1))
        let error = ProviderError(kind: .serverError, status: 503, message: "unavailable")
        var now = Duration.zero
        for (retry, wait) in [(2, 1), (3, 2), (4, 4)] {
            #expect(self.fail(&planner, error, after: now) == .wait(until: self.start + now + .seconds(wait), reason: .backoff))
            now += .seconds(wait)
            #expect(planner.waited(at: self.start + now) == self.send(self.a, retry))
        }
        // Three retries spent: the next target, at once.
        #expect(self.fail(&planner, error, after: now) == self.send(self.b, 5))
    }

    @Test func aProviderHintWinsOverTheSchedule() {
        var planner = self.planner()
        _ = planner.start(at: self.start)
        let error = ProviderError(kind: .rateLimited, status: 429, message: "slow down", hints: RetryHints(retryAfter: .seconds(7)))
        #expect(self.fail(&planner, error) == .wait(until: self.start + .seconds(7), reason: .retryAfter))
    }

    @Test func aHintBeyondTheDeadlineFailsOverNow() {
        var planner = self.planner(deadline: .seconds(5))
        _ = planner.start(at: self.start)
        let error = ProviderError(kind: .rateLimited, status: 429, message: "slow down", hints: RetryHints(retryAfter: .seconds(30)))
        #expect(self.fail(&planner, error) == self.send(self.b, 2, deadline: .seconds(5)))
    }

    @Test func aBackoffThatCannotFitTheDeadlineFailsOverNow() {
        var planner = self.planner(deadline: .milliseconds(800))
        _ = planner.start(at: self.start)
        #expect(self.fail(&planner, ProviderError(kind: .serverError, status: 500, message: "x")) == self.send(self.b, 2, deadline: .milliseconds(800)))
    }

    @Test func aBreakerThatOpenedFailsOverWithoutWaiting() {
        var planner = self.planner()
        _ = planner.start(at: self.start)
        let action = self.fail(&planner, ProviderError(kind: .serverError, status: 503, message: "x"), breakerAdmits: false)
        #expect(action == self.send(self.b, 2))
    }

    @Test func silenceIsNotRetried() {
        for failure in [TransportFailure.firstByteTimeout, .ttftTimeout] {
            var planner = self.planner()
            _ = planner.start(at: self.start)
            #expect(self.fail(&planner, ProviderError(kind: .transport(failure), message: "silent")) == self.send(self.b, 2))
        }
    }

    @Test func aCutStreamIsRestartedOnTheNextTarget() {
        var planner = self.planner()
        _ = planner.start(at: self.start)
        let cut = ProviderError(kind: .transport(.connectionReset), message: "transfer closed with outstanding read data")
        // Retryable before output; after output it is a cut stream: no retry, a restart, the next target.
        #expect(self.fail(&planner, cut, outputSent: true) == .restart(attempt: 2, reason: "stream_cut"))
        #expect(planner.restartAnnounced(at: self.start) == self.send(self.b, 2))
    }

    @Test func aStalledStreamIsRestartedToo() {
        var planner = self.planner()
        _ = planner.start(at: self.start)
        let stalled = ProviderError(kind: .transport(.idleTimeout), message: "no data for 30s")
        #expect(self.fail(&planner, stalled, outputSent: true) == .restart(attempt: 2, reason: "stream_stalled"))
    }

    @Test func contextLengthGoesOnlyToALargerWindow() {
        let c = TargetRef(provider: "c", model: "m")
        var planner = AttemptPlanner(
            candidates: [
                .init(target: self.a, retry: self.retry, maxQueueWait: .seconds(5), contextWindow: 8000),
                .init(target: self.b, retry: self.retry, maxQueueWait: .seconds(5), contextWindow: 4000),
                .init(target: c, retry: self.retry, maxQueueWait: .seconds(5), contextWindow: 32000),
            ],
            deadline: self.start + .seconds(60)
        )
        _ = planner.start(at: self.start)
        #expect(self.fail(&planner, ProviderError(kind: .contextLength, status: 400, message: "too long")) == self.send(c, 2))
        #expect(planner.skipped.map(\.target) == [self.b])
        #expect(planner.skipped.map(\.reason) == [.contextWindowTooSmall(window: 4000, needed: 8000)])
    }

    @Test func aContentFilterOrABadRequestStops() {
        for kind in [ProviderError.Kind.contentFilter, .badRequest] {
            var planner = self.planner()
            _ = planner.start(at: self.start)
            #expect(self.fail(&planner, ProviderError(kind: kind, status: 400, message: "no")) == .fail(.stopped))
        }
    }

    @Test func notFoundAuthAndQuotaMoveOnAtOnce() {
        let errors = [
            ProviderError(kind: .notFound, status: 404, message: "no model"),
            ProviderError(kind: .auth, status: 401, message: "bad key"),
            ProviderError(kind: .quotaExhausted, status: 429, code: "insufficient_quota", message: "billing"),
            ProviderError(kind: .rateLimited, status: 429, message: "per day", hints: RetryHints(quotaResetAfter: .seconds(3600))),
        ]
        for error in errors {
            var planner = self.planner()
            _ = planner.start(at: self.start)
            #expect(self.fail(&planner, error) == self.send(self.b, 2), "\(error.kindName)")
        }
    }

    @Test func shouldRetryFalseMovesOnAtOnce() {
        var planner = self.planner()
        _ = planner.start(at: self.start)
        let error = ProviderError(kind: .serverError, status: 503, message: "x", hints: RetryHints(shouldRetry: false))
        #expect(self.fail(&planner, error) == self.send(self.b, 2))
    }

    @Test func thePassedDeadlineEndsTheRequest() {
        var planner = self.planner(deadline: .seconds(2))
        _ = planner.start(at: self.start)
        #expect(self.fail(&planner, ProviderError(kind: .serverError, status: 503, message: "x"), after: .seconds(2)) == .fail(.deadline))
        var waiting = self.planner(deadline: .seconds(2))
        _ = waiting.start(at: self.start)
        #expect(waiting.waited(at: self.start + .seconds(3)) == .fail(.deadline))
    }

    @Test func aFullWindowIsWaitedForWithinTheQueueLimit() {
        var planner = self.planner(maxQueueWait: .seconds(2))
        _ = planner.start(at: self.start)
        #expect(planner.windowFull(wait: .milliseconds(500), at: self.start) == .wait(until: self.start + .milliseconds(500), reason: .windowRoom))
        // The wait was not an attempt: the send after it is attempt 1 again.
        #expect(planner.waited(at: self.start + .milliseconds(500)) == self.send(self.a, 1))
        // max_queue_wait bounds the total: 500 ms waited, 1.6 s more would pass 2 s.
        #expect(planner.windowFull(wait: .milliseconds(1600), at: self.start) == self.send(self.b, 1))
        #expect(planner.skipped.map(\.reason) == [.noWindowRoom(wait: .milliseconds(1600))])
    }

    @Test func aTargetRefusedAtAdmissionIsSkipped() {
        var planner = self.planner()
        _ = planner.start(at: self.start)
        #expect(planner.admissionRefused(.breakerProbing, at: self.start) == self.send(self.b, 1))
        #expect(planner.admissionRefused(.adminDisabled, at: self.start) == .fail(.exhausted))
        #expect(planner.skipped.map(\.reason) == [.breakerProbing, .adminDisabled])
        #expect(planner.attempts == 0)
    }

    @Test func theAllOpenFallbackGetsOneForcedProbe() {
        var planner = AttemptPlanner(
            candidates: [],
            fallback: .init(target: self.b, retry: self.retry, maxQueueWait: .seconds(5), contextWindow: nil),
            deadline: self.start + .seconds(60)
        )
        #expect(planner.start(at: self.start) == self.send(self.b, 1, forced: true))
        // The probe is not retried: one real attempt, then the request ends.
        #expect(self.fail(&planner, ProviderError(kind: .serverError, status: 503, message: "x")) == .fail(.exhausted))
    }

    @Test func runningOutOfTargetsIsExhaustion() {
        var planner = self.planner()
        _ = planner.start(at: self.start)
        _ = self.fail(&planner, ProviderError(kind: .notFound, status: 404, message: "x"))
        #expect(self.fail(&planner, ProviderError(kind: .notFound, status: 404, message: "x")) == .fail(.exhausted))
        #expect(planner.attempts == 2)
    }
}

/// Rejected answers (structured output that does not validate): one repair on the same target, then the next.
@Suite("Attempt planner: rejected answers")
struct AttemptPlannerRejectionTests {
    let start = ContinuousClock.now
    let a = TargetRef(provider: "a", model: "m")
    let b = TargetRef(provider: "b", model: "m")

    func planner() -> AttemptPlanner {
        let retry = RetryPolicy(maxRetries: 0, initialDelay: .seconds(1), maxDelay: .seconds(1), jitter: .fraction(0))
        return AttemptPlanner(
            candidates: [
                .init(target: self.a, retry: retry, maxQueueWait: .zero, contextWindow: nil),
                .init(target: self.b, retry: retry, maxQueueWait: .zero, contextWindow: nil),
            ],
            deadline: self.start + .seconds(60)
        )
    }

    func send(_ target: TargetRef, _ attempt: Int) -> AttemptPlanner.Action {
        .send(target, attempt: attempt, deadline: self.start + .seconds(60), forcedProbe: false)
    }

    @Test func aRepairGoesToTheSameTargetEvenWithoutRetries() {
        var planner = self.planner()
        #expect(planner.start(at: self.start) == self.send(self.a, 1))
        let repair = planner.answerRejected(
            reason: "invalid_structured_output", repairOnSameTarget: true, outputSent: false, at: self.start
        )
        #expect(repair == self.send(self.a, 2))
        let next = planner.answerRejected(
            reason: "invalid_structured_output", repairOnSameTarget: false, outputSent: false, at: self.start
        )
        #expect(next == self.send(self.b, 3))
        let none = planner.answerRejected(
            reason: "invalid_structured_output", repairOnSameTarget: false, outputSent: false, at: self.start
        )
        #expect(none == .fail(.exhausted))
    }

    @Test func aStreamedRejectedAnswerIsRetractedBeforeTheRepair() {
        var planner = self.planner()
        _ = planner.start(at: self.start)
        let action = planner.answerRejected(
            reason: "invalid_structured_output", repairOnSameTarget: true, outputSent: true, at: self.start
        )
        #expect(action == .restart(attempt: 2, reason: "invalid_structured_output"))
        #expect(planner.restartAnnounced(at: self.start) == self.send(self.a, 2))
    }

    @Test func pastTheDeadlineARejectedAnswerEndsTheRequest() {
        var planner = self.planner()
        _ = planner.start(at: self.start)
        let late = planner.answerRejected(
            reason: "invalid_structured_output", repairOnSameTarget: true, outputSent: false, at: self.start + .seconds(61)
        )
        #expect(late == .fail(.deadline))
    }
}
