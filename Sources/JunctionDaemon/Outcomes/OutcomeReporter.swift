import JunctionCore

/// A consumer of outcomes: the request log today; the ledger, budgets, metrics and cache attach here.
protocol OutcomeSubscriber: Sendable {
    func attemptFinished(_ outcome: AttemptOutcome)
    func requestFinished(_ outcome: RequestOutcome)
}

/// Receives every attempt's and every request's outcome exactly once and fans them out. The resilience shell
/// comes first and answers: the attempt planner needs to know whether the target's breaker still admits a retry.
final class OutcomeReporter: Sendable {
    private let resilience: Resilience
    private let subscribers: [any OutcomeSubscriber]

    init(resilience: Resilience, subscribers: [any OutcomeSubscriber]) {
        self.resilience = resilience
        self.subscribers = subscribers
    }

    func report(_ outcome: AttemptOutcome) -> Resilience.Feedback {
        let feedback = self.resilience.apply(outcome)
        for subscriber in self.subscribers { subscriber.attemptFinished(outcome) }
        return feedback
    }

    func report(_ outcome: RequestOutcome) {
        for subscriber in self.subscribers { subscriber.requestFinished(outcome) }
    }
}
