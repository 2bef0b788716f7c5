import JunctionCore
import JunctionRPC

/// The ledger's subscriber: one request row and its attempt rows per finished request, handed to the writer (which
/// never blocks the request).
struct LedgerRecorder: OutcomeSubscriber {
    let writer: LedgerWriter

    func attemptFinished(_ outcome: AttemptOutcome) {}

    func requestFinished(_ outcome: RequestOutcome) {
        guard self.writer.records else { return }  // disabled or unavailable: no rows to build
        let (request, attempts) = Self.rows(outcome)
        self.writer.record(request, attempts: attempts)
    }

    static func rows(_ outcome: RequestOutcome) -> (LedgerRequestRow, [LedgerAttemptRow]) {
        let cost = outcome.cost
        let caller = outcome.caller
        let chat = outcome.request.chat
        var provider = outcome.attempts.last?.target.provider
        var model = outcome.attempts.last?.target.model
        var outcomeName = "cancelled"
        var errorCode: Int? = RPCErrorCode.cancelled.rawValue
        var finishReason: String?
        var ttft: Int?
        var served: CacheServe?
        var saved: Int?
        switch outcome.result {
        case .answered(let result):
            served = result.details.served
            saved = served == nil ? nil : result.details.savedMicroUSD
            provider = result.target.provider
            model = result.completion.model.isEmpty ? result.target.model : result.completion.model
            outcomeName = "ok"
            errorCode = nil
            finishReason = result.completion.finishReason.rawValue
            ttft = result.ttft.map { Int($0.milliseconds) }
        case .failed(let failure):
            outcomeName = failure.kind.name
            errorCode = GenerateMethod.error(failure, at: outcome.ended).code
        case .cancelled:
            break
        }
        let request = LedgerRequestRow(
            requestID: outcome.requestID, timeMs: outcome.wallStart, uid: caller.uid, gid: caller.gid,
            pid: caller.pid, client: outcome.client,
            route: chat.route ?? (chat.model == nil ? "default" : nil), requestedModel: chat.model,
            provider: provider, model: model, attempts: outcome.attempts.count, outcome: outcomeName,
            errorCode: errorCode, finishReason: finishReason, stream: outcome.stream,
            promptTokens: cost.usage.promptTokens, completionTokens: cost.usage.completionTokens,
            cachedTokens: cost.usage.cachedTokens, cacheWriteTokens: cost.usage.cacheWriteTokens,
            reasoningTokens: cost.usage.reasoningTokens, costMicroUSD: cost.total, priceVersion: cost.priceVersion,
            latencyMs: Int((outcome.ended - outcome.started).milliseconds), ttftMs: ttft,
            promptSHA256: outcome.promptSHA256, cache: served?.rawValue, savedMicroUSD: saved
        )
        let attempts = outcome.attempts.enumerated().map { index, attempt in
            let usage = attempt.charge?.billed.usage ?? Usage()
            return LedgerAttemptRow(
                requestID: outcome.requestID, number: index + 1, provider: attempt.target.provider,
                model: attempt.target.model, outcome: attempt.reason ?? "ok", httpStatus: attempt.status,
                latencyMs: Int(attempt.latency.milliseconds), promptTokens: usage.promptTokens,
                completionTokens: usage.completionTokens, cachedTokens: usage.cachedTokens,
                cacheWriteTokens: usage.cacheWriteTokens, reasoningTokens: usage.reasoningTokens,
                // Not billed: it cost nothing (known); billed at an unknown price: NULL.
                costMicroUSD: attempt.charge == nil ? 0 : attempt.charge?.cost?.total
            )
        }
        return (request, attempts)
    }
}
