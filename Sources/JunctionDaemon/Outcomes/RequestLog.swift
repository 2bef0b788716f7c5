import JunctionCore
import Logging

/// The request log: a notice for every failed attempt that moves the request on (with the stable reason), and one
/// entry per finished request, with the journal fields `REQUEST_ID`, `CLIENT_UID`, `CLIENT`, `PROVIDER`, `MODEL`,
/// `OUTCOME`, `PROMPT_TOKENS`, `COMPLETION_TOKENS`, `COST_USD`, `LATENCY_MS` and `PROMPT_SHA256` (the prompt text
/// only with `[log] prompts = true`); on stderr, one readable line.
struct RequestLog: OutcomeSubscriber {
    let logger: Logger
    /// `[log] prompts`, as configured now.
    let logsPrompts: @Sendable () -> Bool

    init(logger: Logger, logsPrompts: @escaping @Sendable () -> Bool = { false }) {
        self.logger = logger
        self.logsPrompts = logsPrompts
    }

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
        let level: Logger.Level
        let outcomeName: String
        var provider = outcome.attempts.last?.target.provider
        var model = outcome.attempts.last?.target.model
        switch outcome.result {
        case .answered(let result):
            level = .info
            outcomeName = "ok"
            provider = result.target.provider
            model = result.completion.model.isEmpty ? result.target.model : result.completion.model
        case .failed(let failure):
            level = .notice
            outcomeName = failure.kind.name
        case .cancelled:
            level = .info
            outcomeName = "cancelled"
        }
        guard self.logger.logLevel <= level else { return }  // builds nothing when the level is off
        let cost = outcome.cost
        let latency = (outcome.ended - outcome.started).milliseconds
        let costText = cost.total.map { JSONValue.usd($0).compactText } ?? "unknown"
        var metadata: Logger.Metadata = [
            "request_id": .string(outcome.requestID), "rpc_id": .string(outcome.label),
            "client_uid": .string(String(outcome.caller.uid)), "outcome": .string(outcomeName),
            "attempts": .string(String(outcome.attempts.count)),
            "prompt_tokens": .string(String(cost.usage.promptTokens)),
            "completion_tokens": .string(String(cost.usage.completionTokens)),
            "cost_usd": .string(costText), "latency_ms": .string(String(latency)),
            "prompt_sha256": .string(outcome.promptSHA256),
        ]
        if let client = outcome.client { metadata["client"] = .string(client) }
        if let provider { metadata["provider"] = .string(provider) }
        if let model { metadata["model"] = .string(model) }
        if case .failed(let failure) = outcome.result, !failure.skipped.isEmpty {
            metadata["skipped"] = "\(failure.skipped.count)"
        }
        if self.logsPrompts() {
            metadata["prompt"] = "\(String(decoding: outcome.request.chat.canonicalPrompt, as: UTF8.self))"
        }
        let target = provider.map { "\($0):\(model ?? "-")" } ?? "no target"
        let line =
            "request \(outcomeName): \(target), \(cost.usage.promptTokens)+\(cost.usage.completionTokens) tokens, "
                + "\(cost.total == nil ? "cost unknown" : "$" + costText), \(latency) ms"
        self.logger.log(level: level, "\(line)", metadata: metadata)
    }
}
