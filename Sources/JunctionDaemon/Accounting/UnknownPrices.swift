import JunctionCore
import Logging
import NIOConcurrencyHelpers

/// Models that were billed without a known price: each is warned about once in the log (its cost is recorded as
/// unknown, never as $0) and `daemon.status` counts them, so that an operator adds the price before weeks pass.
final class UnknownPrices: OutcomeSubscriber {
    private let logger: Logger
    private let seen = NIOLockedValueBox<Set<TargetRef>>([])

    init(logger: Logger) {
        self.logger = logger
    }

    /// The targets billed without a price since the daemon started, sorted.
    var targets: [TargetRef] {
        self.seen.withLockedValue { Array($0) }.sorted { ($0.provider, $0.model) < ($1.provider, $1.model) }
    }

    func attemptFinished(_ outcome: AttemptOutcome) {}

    func requestFinished(_ outcome: RequestOutcome) {
        for attempt in outcome.attempts {
            guard let charge = attempt.charge, charge.cost == nil, !charge.billUnknown else { continue }
            let first = self.seen.withLockedValue { $0.insert(attempt.target).inserted }
            guard first else { continue }
            let advice = "add input_usd_per_mtok and output_usd_per_mtok under "
                + "[[providers.\(attempt.target.provider).models]]"
            self.logger.warning(
                "no price known for a billed model: its cost is recorded as unknown (NULL), not $0; \(advice)",
                metadata: ["provider": "\(attempt.target.provider)", "model": "\(attempt.target.model)"]
            )
        }
    }
}
