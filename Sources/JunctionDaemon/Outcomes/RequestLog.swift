import JunctionCore
import Logging

/// The request log: a notice for every failed attempt that moves the request on (with the stable reason), and
/// one line per finished request (debug when answered, notice when it failed).
struct RequestLog: OutcomeSubscriber {
    let logger: Logger

    func attemptFinished(_ outcome: AttemptOutcome) {
        guard case .failed(let failure) = outcome.result else { return }
        self.logger.notice(
            "attempt failed",
            metadata: [
                "provider": "\(outcome.target.provider)", "model": "\(outcome.target.model)",
                "attempt": "\(outcome.number)", "reason": "\(failure.reason)", "detail": "\(failure.error.message)",
                "status": "\(failure.error.status.map(String.init) ?? "-")",
            ]
        )
    }

    func requestFinished(_ outcome: RequestOutcome) {
        // Answered requests are logged at debug: build nothing when that is off (this runs on every request).
        if case .answered = outcome.result, self.logger.logLevel > .debug { return }
        var metadata: Logger.Metadata = [
            "request_id": "\(outcome.label)", "client_uid": "\(outcome.caller.uid)",
            "latency_ms": "\((outcome.ended - outcome.started).milliseconds)",
        ]
        if let client = outcome.client { metadata["client"] = "\(client)" }
        switch outcome.result {
        case .answered(let result):
            metadata["provider"] = "\(result.target.provider)"
            metadata["model"] = "\(result.target.model)"
            metadata["attempts"] = "\(result.attempts.count)"
            self.logger.debug("request answered", metadata: metadata)
        case .failed(let failure):
            metadata["outcome"] = "\(failure.kind.name)"
            metadata["attempts"] = "\(failure.attempts.count)"
            metadata["skipped"] = "\(failure.skipped.count)"
            self.logger.notice("request failed", metadata: metadata)
        case .cancelled:
            self.logger.info("request cancelled", metadata: metadata)
        }
    }
}
