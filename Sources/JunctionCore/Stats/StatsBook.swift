/// Everything `stats.snapshot` counts itself, as a pure value: the daemon's requests, each provider's and each
/// target's attempts (totals and a 15-minute ring), today's cost, ratings, recent failovers and how long breakers
/// have been open. The daemon's `StatsCollector` holds one behind a lock and feeds it each finished request; every
/// event takes the time, so tests drive it with a manual clock.
public struct StatsBook: Sendable, Equatable {
    /// Targets counted one by one; a target first seen beyond this (callers naming ever new `provider:model`s)
    /// counts in its provider only, so memory stays bounded.
    public static let defaultMaxTargets = 256

    public let maxTargets: Int
    /// Requests finished (every outcome), and those that failed.
    public private(set) var daemon = StatsTrack()
    /// Attempts per provider and per target.
    public private(set) var providers: [String: StatsTrack] = [:]
    public private(set) var targets: [TargetRef: StatsTrack] = [:]
    public private(set) var costToday = CostToday()
    public private(set) var feedback: [TargetRef: FeedbackTally] = [:]
    public private(set) var failovers = FailoverLog()
    public var breakers = BreakerTimes()

    public init(maxTargets: Int = StatsBook.defaultMaxTargets) {
        self.maxTargets = maxTargets
    }

    /// Counts a finished request: in the daemon's track when it ended, each attempt in its provider's and target's
    /// track when the attempt ended, its cost on the day it started, and a failover for every failed attempt that
    /// the next attempt moved to another target.
    public mutating func requestFinished(_ request: RequestSample, calendar: any PeriodCalendar) {
        self.daemon.record(StatsSample(failed: request.failed), at: request.endedAt)
        var clock = request.startedAt
        for (position, attempt) in request.attempts.enumerated() {
            clock += Int64(attempt.waitMilliseconds + attempt.latencyMilliseconds)
            self.costToday.add(
                attempt.costMicroUSD, target: attempt.target, startedAt: request.startedAt, calendar: calendar
            )
            if attempt.abandoned { continue }
            let sample = StatsSample(
                failed: attempt.failed,
                latencyMilliseconds: attempt.failed ? nil : attempt.latencyMilliseconds,
                costMicroUSD: attempt.costMicroUSD
            )
            self.providers[attempt.target.provider, default: StatsTrack()].record(sample, at: clock)
            if self.targets[attempt.target] != nil || self.targets.count < self.maxTargets {
                self.targets[attempt.target, default: StatsTrack()].record(sample, at: clock)
            }
            let nextPosition = position + 1
            if let reason = attempt.failureReason, nextPosition < request.attempts.count,
                request.attempts[nextPosition].target != attempt.target
            {
                self.failovers.append(
                    FailoverRecord(
                        atMilliseconds: clock, requestID: request.requestID, from: attempt.target,
                        to: request.attempts[nextPosition].target, reason: reason
                    )
                )
            }
        }
    }

    /// A rating was stored for a request answered by `target`; `previous` is the score it replaced.
    public mutating func feedbackRecorded(target: TargetRef, score: Double, replacing previous: Double?) {
        self.feedback[target, default: FeedbackTally()].rated(score, replacing: previous)
    }

    /// Starts from what the ledger holds (at start): today's cost per target and every rating per target.
    public mutating func seed(costToday: [TargetRef: MicroUSD], day: PeriodBounds, feedback: [TargetRef: FeedbackTally])
    {
        self.costToday.seed(costToday, day: day)
        for (target, tally) in feedback { self.feedback[target, default: FeedbackTally()] = tally }
    }

    /// Moves today's cost to a new day when midnight has passed (before a read).
    public mutating func rollOver(at now: Int64, calendar: any PeriodCalendar) {
        self.costToday.rollOver(at: now, calendar: calendar)
    }

    /// Every rating together.
    public var feedbackTotal: FeedbackTally { self.feedback.values.reduce(FeedbackTally(), +) }

    /// A provider's ratings (all its targets).
    public func feedback(ofProvider provider: String) -> FeedbackTally {
        self.feedback.reduce(FeedbackTally()) { $0 + ($1.key.provider == provider ? $1.value : FeedbackTally()) }
    }
}
