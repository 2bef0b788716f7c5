import JunctionCore
import NIOConcurrencyHelpers

/// What `stats.snapshot` (and the dashboard's `GET /api/stats`) shows beyond the resilience state: totals since
/// start, cost today, the 15-minute history per provider and the recent failovers. An `OutcomeSubscriber`: every
/// number comes from the one outcome report per request.
final class StatsCollector: OutcomeSubscriber {
    struct State {
        var history = StatsHistory()
        var failovers = RecentFailovers()
        var daily: DailyCost
        var requestsByTarget: [TargetRef: Int] = [:]
        var requestsTotal = 0
        var errorsTotal = 0
    }

    private let state: NIOLockedValueBox<State>
    /// Unix milliseconds now (a parameter for tests).
    private let wallClock: @Sendable () -> Int64
    /// The start of the day containing a Unix-millisecond instant, in the accounting time zone.
    private let dayStart: @Sendable (Int64) -> Int64

    init(wallClock: @escaping @Sendable () -> Int64, dayStart: @escaping @Sendable (Int64) -> Int64) {
        self.wallClock = wallClock
        self.dayStart = dayStart
        self.state = NIOLockedValueBox(State(daily: DailyCost(dayStartMs: dayStart(wallClock()))))
    }

    /// What the ledger says today cost so far, per target (at start, so that a restart does not zero it).
    func seed(costToday: [TargetRef: Int], dayStartMs: Int64) {
        self.state.withLockedValue { state in
            guard dayStartMs == state.daily.dayStartMs else { return }
            for (target, cost) in costToday { state.daily.add(cost, target: target, dayStartMs: dayStartMs) }
        }
    }

    func attemptFinished(_ outcome: AttemptOutcome) {}

    func requestFinished(_ outcome: RequestOutcome) {
        let now = self.wallClock()
        let dayStart = self.dayStart(now)
        var target: TargetRef?
        var failed = false
        switch outcome.result {
        case .answered(let result): target = result.target
        case .failed: failed = true
        case .cancelled: break
        }
        target = target ?? outcome.attempts.last?.target
        let latency = Int((outcome.ended - outcome.started).milliseconds)
        let cost = outcome.attempts.reduce(0) { $0 + ($1.charge?.cost?.total ?? 0) }
        self.state.withLockedValue { state in
            state.requestsTotal += 1
            if failed { state.errorsTotal += 1 }
            if let target {
                state.requestsByTarget[target, default: 0] += 1
                state.history.record(
                    provider: target.provider, atMs: now, failed: failed, latencyMs: latency, costMicroUSD: cost
                )
            }
            state.daily.roll(to: dayStart)
            for attempt in outcome.attempts {
                state.daily.add(attempt.charge?.cost?.total ?? 0, target: attempt.target, dayStartMs: dayStart)
            }
            for (previous, next) in zip(outcome.attempts, outcome.attempts.dropFirst())
            where previous.target != next.target {
                state.failovers.record(
                    RecentFailovers.Failover(
                        atMs: now, requestID: outcome.requestID, from: previous.target.description,
                        to: next.target.description, reason: previous.reason ?? "unknown"
                    )
                )
            }
        }
    }

    /// A copy of the state, rolled to today, for a snapshot.
    func read() -> (state: State, nowMs: Int64) {
        let now = self.wallClock()
        let dayStart = self.dayStart(now)
        let state = self.state.withLockedValue { state in
            state.daily.roll(to: dayStart)
            return state
        }
        return (state, now)
    }
}
