import JunctionCore
import Logging
import NIOConcurrencyHelpers

/// The stats' subscriber: every finished request goes into a `StatsBook` (Core) under a lock held for the few
/// additions it makes; `stats.snapshot` reads the book under the same lock. Ratings reach it from the feedback
/// recorder, and at start today's cost and every stored rating are seeded from the ledger, so that a restart
/// zeroes neither.
final class StatsCollector: OutcomeSubscriber, Sendable {
    private let book: NIOLockedValueBox<StatsBook>
    /// The accounting calendar in force (budgets hold it, and a reload may change the time zone).
    private let calendar: @Sendable () -> any PeriodCalendar

    init(calendar: @escaping @Sendable () -> any PeriodCalendar, maxTargets: Int = StatsBook.defaultMaxTargets) {
        self.book = NIOLockedValueBox(StatsBook(maxTargets: maxTargets))
        self.calendar = calendar
    }

    func attemptFinished(_ outcome: AttemptOutcome) {}

    func requestFinished(_ outcome: RequestOutcome) {
        let sample = Self.sample(outcome)
        let calendar = self.calendar()
        self.book.withLockedValue { $0.requestFinished(sample, calendar: calendar) }
    }

    /// A rating was stored (by the feedback recorder).
    func feedbackRecorded(target: TargetRef, score: Double, replacing previous: Double?) {
        self.book.withLockedValue { $0.feedbackRecorded(target: target, score: score, replacing: previous) }
    }

    /// Reads today's cost and the ratings from the ledger (before the socket listens). A ledger that cannot answer
    /// leaves them at zero, with a warning.
    func seed(from store: LedgerStore, now: Int64, logger: Logger) async {
        let day = self.calendar().day(containing: now)
        do {
            let costs = try await store.costByTarget(since: day.start)
            let feedback = try await store.feedbackByTarget()
            self.book.withLockedValue { $0.seed(costToday: costs, day: day, feedback: feedback) }
        } catch {
            logger.warning(
                "stats: cannot read today's cost and the ratings from the ledger; they count from zero",
                metadata: ["reason": "\(LedgerStore.describe(error))"]
            )
        }
    }

    /// Runs `body` on the book under the lock, after rolling today's cost over to the day of `now`. For the snapshot
    /// only: `body` must be quick (it holds up every finishing request).
    func withBook<T>(at now: Int64, _ body: (inout StatsBook) -> T) -> T {
        let calendar = self.calendar()
        return self.book.withLockedValue { book in
            book.rollOver(at: now, calendar: calendar)
            return body(&book)
        }
    }

    /// The outcome as the book counts it: wall-clock times, and each attempt's target, failure, timing and cost.
    static func sample(_ outcome: RequestOutcome) -> RequestSample {
        let failed: Bool = if case .failed = outcome.result { true } else { false }
        return RequestSample(
            requestID: outcome.requestID,
            startedAt: outcome.wallStart,
            endedAt: outcome.wallStart + (outcome.ended - outcome.started).milliseconds,
            failed: failed,
            attempts: outcome.attempts.map { attempt in
                AttemptSample(
                    target: attempt.target,
                    failureReason: attempt.error == nil ? nil : (attempt.reason ?? "error"),
                    latencyMilliseconds: Int(attempt.latency.milliseconds),
                    waitMilliseconds: Int(attempt.wait.milliseconds),
                    costMicroUSD: attempt.charge?.cost?.total ?? 0,
                    abandoned: attempt.abandoned
                )
            }
        )
    }
}
