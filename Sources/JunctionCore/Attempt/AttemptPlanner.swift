/// Decides, attempt by attempt, what a request does next: which target to send to and with which deadline,
/// how long to wait first (backoff, a provider's hint, room in a rate window), when to fail over, when to tell
/// the caller to discard streamed output, and when to give up. It owns the request's one deadline. Pure: every
/// event takes the current instant and returns an `Action`; the gateway performs it and reports back.
///
/// The rules are the README's failure-policy table (`FailurePolicy` classifies; this applies):
/// - a retryable failure is retried on the same target with the retry policy's schedule or the provider's hint,
///   unless output was already streamed, the target's breaker opened, or the wait would not fit the deadline —
///   then the request fails over at once, without sleeping;
/// - "context length exceeded" fails over only to targets with a larger configured window;
/// - a failure whose classification stops (content filter, bad request, deadline) ends the request;
/// - after an attempt that streamed output, the next attempt is preceded by `restart`.
public struct AttemptPlanner: Sendable {
    /// One eligible target of the routing plan, with what the planner needs of its provider's policy.
    public struct Candidate: Sendable, Equatable {
        public var target: TargetRef
        public var retry: RetryPolicy
        public var maxQueueWait: Duration
        public var contextWindow: Int?

        public init(target: TargetRef, retry: RetryPolicy, maxQueueWait: Duration, contextWindow: Int?) {
            self.target = target
            self.retry = retry
            self.maxQueueWait = maxQueueWait
            self.contextWindow = contextWindow
        }
    }

    public enum WaitReason: String, Sendable, Equatable {
        /// The retry policy's schedule.
        case backoff
        /// The provider said when (Retry-After, `retryDelay`, "try again in").
        case retryAfter = "retry_after"
        /// The rate window has room then.
        case windowRoom = "window_room"
    }

    public enum Failure: Sendable, Equatable {
        /// The request's deadline passed.
        case deadline
        /// Every target was tried or skipped.
        case exhausted
        /// The last failure's classification ends the request (no failover).
        case stopped
    }

    public enum Action: Sendable, Equatable {
        /// Send attempt number `attempt` to `target`; the transport's overall clock is `deadline`. A forced probe
        /// passes the target's open breaker (every target of the request was open).
        case send(TargetRef, attempt: Int, deadline: ContinuousClock.Instant, forcedProbe: Bool)
        case wait(until: ContinuousClock.Instant, reason: WaitReason)
        /// The caller must discard the output streamed so far; attempt `attempt` follows.
        case restart(attempt: Int, reason: String)
        case fail(Failure)
    }

    public let deadline: ContinuousClock.Instant
    private let candidates: [Candidate]
    private let fallback: Candidate?
    private var index = 0
    private var usingFallback = false
    private var attemptsOnCurrent = 0
    /// Waited for rate-window room on the current target so far: `maxQueueWait` bounds the total, not each wait.
    private var queuedOnCurrent: Duration = .zero
    /// Attempts sent so far.
    public private(set) var attempts = 0
    private var minimumContext: Int?
    /// Streamed output of a failed attempt that the caller has not been told to discard yet.
    private var unretractedOutput = false
    private var lastReason = ""
    private var afterRestart: Action?
    /// Targets passed over while running (at admission, or for a too-small context window), with the reason.
    public private(set) var skipped: [(target: TargetRef, reason: SkipReason)] = []

    /// - Parameters:
    ///   - candidates: the plan's eligible targets, in order.
    ///   - fallback: the plan's all-open fallback, tried once as a forced probe when there is no candidate.
    public init(candidates: [Candidate], fallback: Candidate? = nil, deadline: ContinuousClock.Instant) {
        self.candidates = candidates
        self.fallback = fallback
        self.deadline = deadline
    }

    /// The first action.
    public mutating func start(at now: ContinuousClock.Instant) -> Action {
        self.sendCurrent(at: now)
    }

    /// The shell refused the target at the moment of sending (its state changed since the plan): move on.
    public mutating func admissionRefused(_ reason: SkipReason, at now: ContinuousClock.Instant) -> Action {
        self.unsend()
        if let target = self.current?.target { self.skipped.append((target, reason)) }
        self.advance()
        return self.sendCurrent(at: now)
    }

    /// The target's rate window has room only in `wait`: wait for it if that fits the queue limit and the
    /// deadline, else skip the target.
    public mutating func windowFull(wait: Duration, at now: ContinuousClock.Instant) -> Action {
        self.unsend()
        guard let candidate = self.current else { return self.sendCurrent(at: now) }
        if self.queuedOnCurrent + wait <= candidate.maxQueueWait, now + wait < self.deadline {
            self.queuedOnCurrent += wait
            return .wait(until: now + wait, reason: .windowRoom)
        }
        self.skipped.append((candidate.target, .noWindowRoom(wait: wait)))
        self.advance()
        return self.sendCurrent(at: now)
    }

    /// A `wait` is over.
    public mutating func waited(at now: ContinuousClock.Instant) -> Action {
        self.sendCurrent(at: now)
    }

    /// The `restart` was delivered to the caller.
    public mutating func restartAnnounced(at now: ContinuousClock.Instant) -> Action {
        defer { self.afterRestart = nil }
        return self.afterRestart ?? self.sendCurrent(at: now)
    }

    /// The attempt failed.
    ///
    /// - Parameters:
    ///   - disposition: the failure's classification, decided once for this attempt.
    ///   - reason: the failure's stable reason code (`FailureReason`), for the restart notice.
    ///   - outputSent: the attempt streamed output to the caller.
    ///   - breakerAdmits: after this failure the target's breakers still admit a retry.
    ///   - random: uniform in [0, 1), for backoff jitter.
    public mutating func attemptFailed(
        hint retryAfter: Duration?,
        disposition: FailureDisposition,
        reason: String,
        outputSent: Bool,
        breakerAdmits: Bool,
        random: Double,
        at now: ContinuousClock.Instant
    ) -> Action {
        self.lastReason = reason
        self.unretractedOutput = self.unretractedOutput || outputSent
        guard now < self.deadline else { return .fail(.deadline) }
        guard let candidate = self.current else { return .fail(.exhausted) }
        if disposition.retrySameTarget, !outputSent, !self.usingFallback {
            let decision = candidate.retry.decide(
                afterAttempt: self.attemptsOnCurrent, hint: retryAfter, remaining: self.deadline - now, random: random
            )
            // A retry that the breaker would refuse, or that cannot fit the deadline, fails over now.
            if case .retry(let wait) = decision, breakerAdmits {
                return .wait(until: now + wait, reason: retryAfter == nil ? .backoff : .retryAfter)
            }
        }
        switch disposition.failover {
        case .next:
            self.advance()
        case .largerContextOnly:
            self.minimumContext = max(self.minimumContext ?? 0, candidate.contextWindow ?? 0)
            self.advance()
        case .none:
            return .fail(.stopped)
        }
        return self.sendCurrent(at: now)
    }

    /// The attempt answered, but its answer was rejected (structured output that does not validate): one repair
    /// attempt on the same target when `repairOnSameTarget`, else the next target. What it streamed is retracted
    /// first (`restart`, with `reason`).
    public mutating func answerRejected(
        reason: String,
        repairOnSameTarget: Bool,
        outputSent: Bool,
        at now: ContinuousClock.Instant
    ) -> Action {
        self.lastReason = reason
        self.unretractedOutput = self.unretractedOutput || outputSent
        guard now < self.deadline else { return .fail(.deadline) }
        guard self.current != nil else { return .fail(.exhausted) }
        if !repairOnSameTarget { self.advance() }
        return self.sendCurrent(at: now)
    }

    // MARK: - Internals

    private var current: Candidate? {
        if self.usingFallback { return self.fallback }
        return self.index < self.candidates.count ? self.candidates[self.index] : nil
    }

    private mutating func advance() {
        if self.usingFallback {
            self.usingFallback = false
            self.index = self.candidates.count
        } else {
            self.index += 1
        }
        self.attemptsOnCurrent = 0
        self.queuedOnCurrent = .zero
    }

    /// A `send` that did not happen (refused at admission) is not an attempt.
    private mutating func unsend() {
        self.attempts -= 1
        self.attemptsOnCurrent -= 1
    }

    private mutating func sendCurrent(at now: ContinuousClock.Instant) -> Action {
        guard now < self.deadline else { return .fail(.deadline) }
        while !self.usingFallback, self.index < self.candidates.count, let minimum = self.minimumContext {
            let candidate = self.candidates[self.index]
            guard (candidate.contextWindow ?? 0) <= minimum else { break }
            let reason = SkipReason.contextWindowTooSmall(window: candidate.contextWindow, needed: minimum)
            self.skipped.append((candidate.target, reason))
            self.index += 1
        }
        if self.current == nil, self.candidates.isEmpty, self.attempts == 0, self.fallback != nil, !self.usingFallback {
            self.usingFallback = true
            self.attemptsOnCurrent = 0
        }
        guard let candidate = self.current else { return .fail(.exhausted) }
        self.attempts += 1
        self.attemptsOnCurrent += 1
        let send = Action.send(
            candidate.target, attempt: self.attempts, deadline: self.deadline, forcedProbe: self.usingFallback
        )
        if self.unretractedOutput {
            self.unretractedOutput = false
            self.afterRestart = send
            return .restart(attempt: self.attempts, reason: self.lastReason)
        }
        return send
    }
}
