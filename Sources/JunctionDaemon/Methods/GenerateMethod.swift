import JunctionCore
import JunctionRPC

/// `generate` over JSON-RPC: params → `GenerateRequest`; the gateway's events → `generate.delta` /
/// `generate.restart` notifications tagged with the request id; the result or `GenerateFailure` → the JSON-RPC
/// result or error. The only place that knows how a generate looks on the wire.
enum GenerateMethod {
    static func method(gateway: Gateway, budgets: Budgets?) -> RPCMethod {
        RPCMethod("generate") { params, context in
            let request = try self.request(params, context: context)
            do {
                let result = try await gateway.generate(request, events: self.sink(for: request, context: context))
                return self.encode(result, id: context.id, budget: budgets?.status(for: request) ?? [])
            } catch {
                throw self.wire(error, calendar: budgets?.calendar)
            }
        }
    }

    /// A `GenerateFailure` as its JSON-RPC error; anything else (cancellation) as it is.
    @inline(never)  // keeps its temporaries out of the handler's async frame
    private static func wire(_ error: any Error, calendar: (any PeriodCalendar)?) -> any Error {
        guard let failure = error as? GenerateFailure else { return error }
        return self.error(failure, at: .now, calendar: calendar ?? FixedOffsetCalendar.utc)
    }

    /// Synchronous, so that the parsed params do not stay in the held request's async frame.
    @inline(never)  // keeps its temporaries out of the handler's async frame
    private static func request(_ params: JSONValue?, context: RequestContext) throws(RPCError) -> GenerateRequest {
        let options = try GenerateParams.parse(params)
        return GenerateRequest(
            chat: options.request, timeout: options.timeout, client: options.client, caller: context.peer,
            label: context.id?.description ?? "-", callerIsAdmin: context.isAdmin, cache: options.cache,
            fit: options.fit, executor: context.connection.executor
        )
    }

    /// Notifications for a streamed request with an id; none for a notification or an unstreamed request.
    private static func sink(for request: GenerateRequest, context: RequestContext) -> GenerateEventSink? {
        guard request.chat.stream, let id = context.id?.json else { return nil }
        let connection = context.connection
        return { event in
            switch event {
            case .delta(let attempt, let sequence, let text):
                connection.notify(
                    method: "generate.delta",
                    params: ["request": id, "attempt": .int(attempt), "seq": .int(sequence), "text": .string(text)]
                )
            case .restart(let attempt, let reason):
                connection.notify(
                    method: "generate.restart",
                    params: ["request": id, "attempt": .int(attempt), "reason": .string(reason)]
                )
            case .reasoning, .started:
                // The wire protocol carries reasoning and the answering target in the result only.
                break
            }
        }
    }

    @inline(never)  // keeps its temporaries out of the handler's async frame
    static func encode(_ result: GenerateResult, id: RequestID?, budget: JSONValue = []) -> JSONValue {
        let completion = result.completion
        let cost = result.cost
        var object: JSONObject = [
            "id": id?.json ?? .null,
            "request_id": .string(result.requestID),
            "text": .string(completion.text),
            "finish_reason": .string(completion.finishReason.rawValue),
            "provider": .string(result.target.provider),
            "model": .string(completion.model.isEmpty ? result.target.model : completion.model),
            "usage": result.usage.json,
            "latency_ms": .int(result.latency.milliseconds),
            "cost_usd": .usd(cost.total),
            "cost_known": .bool(cost.total != nil),
            "cost": cost.json,
            "budget": budget,
        ]
        if result.usageEstimated { object["usage_estimated"] = true }
        let details = result.details
        switch details.served {
        case nil: object["cached"] = false
        case .hit: object["cached"] = true
        case .coalesced, .stale: object["cached"] = .string(details.served!.rawValue)
        }
        if details.served != nil { object["saved_usd"] = .usd(details.savedMicroUSD) }
        if let json = details.json { object["json"] = json }
        if let estimated = details.promptTokensEstimated {
            object["trimmed_messages"] = .int(details.trimmedMessages)
            object["prompt_tokens_estimated"] = .int(estimated)
        }
        if let ttft = result.ttft { object["ttft_ms"] = .int(ttft.milliseconds) }
        if let reasoning = completion.reasoning { object["reasoning"] = .string(reasoning) }
        if let providerID = completion.providerRequestID { object["provider_request_id"] = .string(providerID) }
        if !result.rateLimits.isEmpty { object["rate_limits"] = result.rateLimits.json }
        object["attempts"] = .array(result.attempts.map(self.encode))
        return .object(object)
    }

    static func encode(_ attempt: AttemptRecord) -> JSONValue {
        var object: JSONObject = [
            "provider": .string(attempt.target.provider),
            "model": .string(attempt.target.model),
            "outcome": .string(attempt.error?.kindName ?? "ok"),
            "status": attempt.status.map { .int($0) } ?? .null,
            "latency_ms": .int(attempt.latency.milliseconds),
            "wait_ms": .int(attempt.wait.milliseconds),
        ]
        if let error = attempt.error {
            object["error_type"] = error.type.map(JSONValue.string) ?? .null
            object["error"] = .string(error.message)
        }
        if let reason = attempt.reason { object["reason"] = .string(reason) }
        if let charge = attempt.charge {
            object["billed_usage"] = charge.billed.usage.json
            object["cost_usd"] = .usd(charge.cost?.total)
            if charge.billed.estimated { object["billed_estimated"] = true }
            if charge.billUnknown { object["billed_unknown"] = true }
        }
        return .object(object)
    }

    static func encode(_ skipped: SkippedTarget, at now: ContinuousClock.Instant) -> JSONValue {
        var object: JSONObject = [
            "provider": .string(skipped.target.provider), "model": .string(skipped.target.model),
            "reason": .string(skipped.reason.code), "detail": .string(skipped.reason.detail(at: skipped.at)),
        ]
        if let until = skipped.reason.until { object["until_ms"] = .int(max(0, (until - now).milliseconds)) }
        return .object(object)
    }

    /// The JSON-RPC error for a failure: the only place where failure kinds become codes.
    static func error(
        _ failure: GenerateFailure,
        at now: ContinuousClock.Instant,
        calendar: any PeriodCalendar = FixedOffsetCalendar.utc
    ) -> RPCError {
        var data: JSONObject = ["attempts": .array(failure.attempts.map(self.encode))]
        if let requestID = failure.requestID { data["request_id"] = .string(requestID) }
        let cost = failure.cost
        // Failed attempts can be billed (a stream cut after 40 tokens): the caller learns what it paid.
        if failure.attempts.contains(where: { $0.charge != nil }) {
            data["cost_usd"] = .usd(cost.total)
            data["cost"] = cost.json
        }
        // Every wait counts, the one after the last attempt too.
        if let latency = failure.latency { data["latency_ms"] = .int(latency.milliseconds) }
        if !failure.skipped.isEmpty { data["skipped"] = .array(failure.skipped.map { self.encode($0, at: now) }) }
        if let characters = failure.partialOutputCharacters {
            // The caller received this much text from an attempt that failed: it is not an answer.
            data["partial_output_sent"] = true
            data["partial_output_chars"] = .int(characters)
        }
        if let last = failure.lastError, let target = failure.attempts.last?.target, failure.kind != .timeout {
            data["provider"] = .string(target.provider)
            data["status"] = last.status.map { .int($0) } ?? .null
            data["type"] = .string(last.type ?? last.kindName)
            data["message"] = .string(last.message)
        }
        switch failure.kind {
        case .budgetExhausted(let refusal):
            var error = refusal.rpcError(calendar: calendar)
            if case .object(var details) = error.data {
                if let requestID = failure.requestID { details["request_id"] = .string(requestID) }
                // Refused before a further attempt: what was tried (and billed) so far comes along.
                if !failure.attempts.isEmpty {
                    for member in data.members where details[member.key] == nil { details[member.key] = member.value }
                }
                error.data = .object(details)
            }
            return error
        case .invalidRequest(let field, let message):
            return .invalidParams(field: field, problem: message)
        case .nothingConfigured(let message):
            return RPCError(code: RPCErrorCode.noProviderAvailable.rawValue, message: message)
        case .timeout:
            return RPCError(
                code: RPCErrorCode.timeout.rawValue, message: "Timeout: the request's deadline passed",
                data: .object(data)
            )
        case .rateLimited(let wait):
            data["retry_after_ms"] = .int(wait.milliseconds)
            let message =
                failure.attempts.isEmpty ? "Rate limited: no target has room now" : "Rate limited by every target"
            return RPCError(code: RPCErrorCode.rateLimited.rawValue, message: message, data: .object(data))
        case .upstream(let target, let error):
            return RPCError(
                code: RPCErrorCode.upstreamError.rawValue,
                message: "Upstream error from \(target.provider): \(error.message)",
                data: .object(data)
            )
        case .structuredOutputInvalid(let violations):
            data["violations"] = .array(violations.map(JSONValue.string))
            let count = failure.attempts.count
            return RPCError(
                code: RPCErrorCode.structuredOutputInvalid.rawValue,
                message: "Structured output invalid: no answer matched the requested JSON format (\(count) attempt"
                    + "\(count == 1 ? "" : "s"); data.violations says what was wrong with the last one)",
                data: .object(data)
            )
        case .outOfFileDescriptors:
            return RPCError(
                code: RPCErrorCode.overloaded.rawValue, message: RPCError.outOfFileDescriptorsMessage,
                data: .object(data)
            )
        case .noProviderAvailable:
            let attempts = failure.attempts.count
            let skipped = failure.skipped.count
            return RPCError(
                code: RPCErrorCode.noProviderAvailable.rawValue,
                message: "No provider could answer (\(attempts) attempt\(attempts == 1 ? "" : "s"), "
                    + "\(skipped) target\(skipped == 1 ? "" : "s") skipped)",
                data: .object(data)
            )
        }
    }
}
