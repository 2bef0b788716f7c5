#if canImport(Glibc)
import Glibc
#endif
import JunctionCore
import JunctionProviders
import JunctionRPC
import Logging

/// Runs `generate`: plans the targets, tries them under the resilience policy — retries with backoff and the
/// provider's hints inside one deadline, circuit breakers, rate windows, failover decided by the classification
/// table — streams deltas to the caller, and reports every attempt. A stream that fails after output was sent is
/// announced with `generate.restart` before the next target answers in full. A truncated answer is never a
/// success.
final class Gateway: Sendable {
    private let runtime: DaemonRuntime
    private let transport: Transport
    private let resilience: Resilience
    private let logger: Logger

    init(runtime: DaemonRuntime, transport: Transport, resilience: Resilience, logger: Logger) {
        self.runtime = runtime
        self.transport = transport
        self.resilience = resilience
        self.logger = logger
    }

    struct Options: Sendable {
        var request: ChatRequest
        var timeout: Duration?
        var client: String?
    }

    /// What happened to the request so far, across targets.
    private struct Progress {
        var attempts: [AttemptRecord] = []
        var outputSent = false
        /// Characters of answer text sent to the caller by attempts that later failed.
        var partialCharacters = 0
        var lastError: ProviderError?
        var skipped: [(TargetRef, Resilience.Skip)] = []
    }

    func generate(_ options: Options, context: RequestContext) async throws -> JSONValue {
        let active = self.runtime.active
        let request = options.request
        let router = Router(config: active.loaded.config)
        var targets = try router.targets(route: request.route, model: request.model)
        if request.route == nil, request.model == nil, let groups = router.implicitDefaultGroups() {
            // The implicit default route: providers of equal priority share the load.
            targets = groups.flatMap { group in
                self.resilience.shareLoad(
                    group,
                    weights: group.map { active.registry.provider(named: $0.provider)?.config.weight ?? 1 },
                    random: { Double.random(in: 0..<1) }
                )
            }
        }
        let started = ContinuousClock.now
        let deadline = started + (options.timeout ?? active.loaded.config.defaults.timeout)
        // What the rate windows are charged before the provider reports real usage.
        let estimatedTokens = request.estimatedPromptTokens + (request.maxTokens ?? 1024)
        var progress = Progress()
        var minimumContext: Int?

        targets: for target in targets {
            guard let provider = active.registry.provider(named: target.provider) else { continue }
            if let minimum = minimumContext {
                // After "context length exceeded", only a target with a larger window can help.
                guard let window = provider.contextWindow(of: target.model), window > minimum else { continue }
            }
            if let window = provider.contextWindow(of: target.model), window < request.estimatedPromptTokens {
                continue  // the prompt (estimated) does not fit this target's configured window
            }
            if let problem = provider.keyProblem {
                let error = ProviderError(kind: .auth, message: "API key unavailable: \(problem)")
                progress.attempts.append(AttemptRecord(target: target, error: error, latency: .zero))
                progress.lastError = error
                continue
            }
            let policy = provider.policy
            var waited: Duration = .zero
            while true {
                try Task.checkCancellation()
                let remaining = deadline - ContinuousClock.now
                guard remaining > .zero else { break targets }
                switch self.resilience.admit(target, policy: policy, enabled: provider.config.enabled, tokens: estimatedTokens, at: .now) {
                case .skip(let skip):
                    progress.skipped.append((target, skip))
                    continue targets
                case .wait(let wait):
                    // Room in the rate window soon: wait for it if that fits the queue limit and the deadline.
                    guard wait <= policy.maxQueueWait, wait < remaining else {
                        progress.skipped.append((target, .rateLimited(wait: wait)))
                        continue targets
                    }
                    try await Task.sleep(for: wait)
                    waited += wait
                    continue
                case .go:
                    break
                }
                let outcome = try await self.run(
                    target: target, provider: provider, request: request, deadline: deadline, waited: waited,
                    estimatedTokens: estimatedTokens, progress: &progress, context: context
                )
                switch outcome {
                case .answered(let result):
                    return result
                case .retry(let wait):
                    try await Task.sleep(for: wait)
                    waited = wait
                case .nextTarget(let largerContextThan):
                    if let window = largerContextThan { minimumContext = max(minimumContext ?? 0, window) }
                    continue targets
                case .stop:
                    throw self.failure(progress, deadlinePassed: false)
                }
            }
        }

        // Every target's breaker open: one real attempt at the target that opened longest ago.
        if progress.attempts.isEmpty, !progress.skipped.isEmpty,
            progress.skipped.allSatisfy({ if case .breakerOpen = $0.1 { true } else { false } }),
            let target = self.resilience.longestOpen(progress.skipped.map(\.0)),
            let provider = active.registry.provider(named: target.provider), deadline > .now
        {
            self.resilience.forceProbe(target, policy: provider.policy)
            let outcome = try await self.run(
                target: target, provider: provider, request: request, deadline: deadline, waited: .zero,
                estimatedTokens: estimatedTokens, progress: &progress, context: context
            )
            if case .answered(let result) = outcome { return result }
        }
        throw self.failure(progress, deadlinePassed: ContinuousClock.now >= deadline)
    }

    private enum Step {
        case answered(JSONValue)
        case retry(after: Duration)
        /// Move on; with a window, only to targets whose context window is larger.
        case nextTarget(largerContextThan: Int?)
        case stop
    }

    /// One attempt on one target, and what the policy says to do next.
    private func run(
        target: TargetRef,
        provider: ProviderRegistry.Provider,
        request: ChatRequest,
        deadline: ContinuousClock.Instant,
        waited: Duration,
        estimatedTokens: Int,
        progress: inout Progress,
        context: RequestContext
    ) async throws -> Step {
        let policy = provider.policy
        let number = progress.attempts.count + 1
        if progress.outputSent, let id = context.id {
            context.connection.notify(
                method: "generate.restart",
                params: [
                    "request": id.json, "attempt": .int(number),
                    "reason": .string(progress.lastError.map { "\($0.kindName): \($0.message)" } ?? "previous attempt failed"),
                ]
            )
            progress.outputSent = false
            progress.partialCharacters = 0  // retracted: the caller discards it
        }
        self.resilience.requestSent(target, policy: policy, tokens: estimatedTokens, at: .now)
        let attemptStarted = ContinuousClock.now
        let outcome = await self.attempt(
            provider: provider, model: target.model, request: request, number: number, deadline: deadline - attemptStarted,
            context: context
        )
        if Task.isCancelled {
            // The caller left: no outcome is counted against the provider.
            self.resilience.abandoned(target)
            throw CancellationError()
        }
        let latency = ContinuousClock.now - attemptStarted
        switch outcome {
        case .success(let answer):
            progress.attempts.append(AttemptRecord(target: target, error: nil, latency: latency, status: answer.status, wait: waited))
            self.resilience.succeeded(
                target, policy: policy, latency: answer.ttft ?? latency, estimatedTokens: estimatedTokens,
                actualTokens: answer.completion.usage?.totalTokens, rateLimits: answer.rateLimits, at: .now
            )
            return .answered(self.result(answer: answer, target: target, request: request, attempts: progress.attempts, context: context))
        case .failure(let failure):
            let error = failure.error
            progress.attempts.append(AttemptRecord(target: target, error: error, latency: latency, status: error.status, wait: waited))
            progress.outputSent = progress.outputSent || failure.outputSent
            progress.partialCharacters += failure.sentCharacters
            progress.lastError = error
            let disposition = FailurePolicy.disposition(for: error, failoverOnContentFilter: policy.failoverOnContentFilter)
            self.resilience.failed(target, policy: policy, error: error, disposition: disposition, at: .now)
            if disposition.retrySameTarget, !failure.outputSent {
                let retriesSoFar = progress.attempts.reversed().prefix { $0.target == target }.count
                let decision = policy.retry.decide(
                    afterAttempt: retriesSoFar, hint: error.hints.retryAfter, remaining: deadline - .now,
                    random: Double.random(in: 0..<1)
                )
                if case .retry(let wait) = decision { return .retry(after: wait) }
                if case .failover(let reason) = decision { self.logFailover(target, reason: "\(error.kindName); \(reason)", context: context) }
            } else {
                self.logFailover(target, reason: error.kindName, context: context)
            }
            switch disposition.failover {
            case .next: return .nextTarget(largerContextThan: nil)
            case .largerContextOnly: return .nextTarget(largerContextThan: provider.contextWindow(of: target.model) ?? 0)
            case .none: return .stop
            }
        }
    }

    private func logFailover(_ target: TargetRef, reason: String, context: RequestContext) {
        self.logger.notice(
            "failing over",
            metadata: [
                "provider": "\(target.provider)", "model": "\(target.model)", "reason": "\(reason)",
                "request_id": "\(context.id?.description ?? "-")", "client_uid": "\(context.peer.uid)",
            ]
        )
    }

    // MARK: - One attempt

    struct Answer: Sendable {
        var completion: Completion
        var ttft: Duration?
        var status: Int
        var rateLimits: RateLimitSnapshot
    }

    struct AttemptFailure: Error, Sendable {
        var error: ProviderError
        var outputSent: Bool
        /// Characters of answer text already sent as deltas.
        var sentCharacters = 0
    }

    private func attempt(
        provider: ProviderRegistry.Provider,
        model: String,
        request: ChatRequest,
        number: Int,
        deadline: Duration,
        context: RequestContext
    ) async -> Result<Answer, AttemptFailure> {
        let http = provider.prepare(provider.adapter.chatRequest(request, model: model, endpoint: provider.endpoint), deadline: deadline)
        do {
            if request.stream {
                var http = http
                http.timeouts.firstToken = provider.ttftTimeout
                return try await self.consumeStream(provider: provider, http: http, number: number, context: context)
            }
            return try await self.unary(provider: provider, http: http)
        } catch let failure as AttemptFailure {
            return .failure(failure)
        } catch let error as TransportError {
            return .failure(AttemptFailure(error: error.providerError, outputSent: false))
        } catch {
            // Cancellation: the caller sees -32005 (or -32008 at shutdown); nothing to record.
            return .failure(AttemptFailure(error: ProviderError(kind: .transport(.other), message: "cancelled"), outputSent: false))
        }
    }

    private static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    private func unary(provider: ProviderRegistry.Provider, http: HTTPRequest) async throws -> Result<Answer, AttemptFailure> {
        var head: HTTPResponseHead?
        var body: [UInt8] = []
        for try await part in self.transport.execute(http) {
            switch part {
            case .head(let received): head = received
            case .body(let bytes): body += bytes
            }
        }
        guard let head else {
            throw AttemptFailure(error: ProviderError(kind: .malformed, message: "no response"), outputSent: false)
        }
        let now = Self.now()
        guard (200..<300).contains(head.status) else {
            throw AttemptFailure(error: provider.adapter.parseError(head, body: body, now: now), outputSent: false)
        }
        switch provider.adapter.parseCompletion(head, body: body, now: now) {
        case .success(let completion):
            return .success(Answer(completion: completion, ttft: nil, status: head.status, rateLimits: provider.adapter.rateLimits(head, now: now)))
        case .failure(let error):
            throw AttemptFailure(error: error, outputSent: false)
        }
    }

    /// Reads a streamed answer, forwarding deltas to the caller as they come. The transport keeps every clock,
    /// the time to first token included (stopped by `markFirstToken`), so no timer task runs beside it.
    private func consumeStream(
        provider: ProviderRegistry.Provider,
        http: HTTPRequest,
        number: Int,
        context: RequestContext
    ) async throws -> Result<Answer, AttemptFailure> {
        let started = ContinuousClock.now
        var decoder = provider.adapter.makeStreamDecoder()
        var head: HTTPResponseHead?
        var errorBody: [UInt8] = []
        var text = ""
        var reasoning = ""
        var usage: Usage?
        var finish: FinishReason?
        var model: String?
        var providerRequestID: String?
        var sequence = 0
        var ttft: Duration?
        let requestID = context.id?.json

        func failed(_ error: ProviderError) -> Result<Answer, AttemptFailure> {
            .failure(AttemptFailure(error: error, outputSent: sequence > 0, sentCharacters: text.count))
        }

        let response = self.transport.execute(http)
        do {
            reading: for try await part in response {
                switch part {
                case .head(let received):
                    head = received
                    if !(200..<300).contains(received.status) { response.markFirstToken() }  // an error answer is not silence
                case .body(let bytes):
                    guard let head, (200..<300).contains(head.status) else {
                        errorBody += bytes
                        continue
                    }
                    for event in decoder.feed(bytes) {
                        switch event {
                        case .delta(let delta):
                            if ttft == nil {
                                ttft = ContinuousClock.now - started
                                response.markFirstToken()
                            }
                            text += delta
                            if let requestID {
                                context.connection.notify(
                                    method: "generate.delta",
                                    params: ["request": requestID, "attempt": .int(number), "seq": .int(sequence), "text": .string(delta)]
                                )
                            }
                            sequence += 1
                        case .reasoning(let part):
                            response.markFirstToken()
                            reasoning += part
                        case .usage(let reported): usage = reported
                        case .finish(let reason):
                            response.markFirstToken()
                            finish = reason
                        case .metadata(let reportedModel, let id):
                            model = reportedModel ?? model
                            providerRequestID = id ?? providerRequestID
                        case .end:
                            break reading
                        case .error(let error):
                            return failed(error)
                        }
                    }
                }
            }
        } catch let error as TransportError {
            // A stream that already finished and then lost its connection is complete; anything else is not.
            if finish == nil || usage == nil { return failed(error.providerError) }
        }
        guard let head else { return failed(ProviderError(kind: .malformed, message: "no response")) }
        let now = Self.now()
        guard (200..<300).contains(head.status) else {
            return failed(provider.adapter.parseError(head, body: errorBody, now: now))
        }
        guard let finish else {
            return failed(
                ProviderError(
                    kind: .truncated,
                    status: head.status,
                    message: "the stream ended before the answer did (\(sequence) deltas, no finish reason)"
                )
            )
        }
        if decoder.malformedEvents > 0 {
            self.logger.warning("skipped malformed stream events", metadata: ["provider": "\(provider.name)", "count": "\(decoder.malformedEvents)"])
        }
        return .success(
            Answer(
                completion: Completion(
                    text: text,
                    reasoning: reasoning.isEmpty ? nil : reasoning,
                    finishReason: finish,
                    model: model ?? "",
                    usage: usage,
                    providerRequestID: providerRequestID
                ),
                ttft: ttft,
                status: head.status,
                rateLimits: provider.adapter.rateLimits(head, now: now)
            )
        )
    }

    // MARK: - Results

    private func result(
        answer: Answer,
        target: TargetRef,
        request: ChatRequest,
        attempts: [AttemptRecord],
        context: RequestContext
    ) -> JSONValue {
        let completion = answer.completion
        var usage = completion.usage
        var estimated = false
        if usage == nil {
            estimated = true
            usage = Usage(promptTokens: request.estimatedPromptTokens, completionTokens: TokenEstimate.tokens(in: completion.text))
        }
        var result: JSONObject = [
            "id": context.id?.json ?? .null,
            "text": .string(completion.text),
            "finish_reason": .string(completion.finishReason.rawValue),
            "provider": .string(target.provider),
            "model": .string(completion.model.isEmpty ? target.model : completion.model),
            "usage": usage!.json,
            "latency_ms": .int(attempts.reduce(Duration.zero) { $0 + $1.latency + $1.wait }.milliseconds),
        ]
        if estimated { result["usage_estimated"] = true }
        if let ttft = answer.ttft { result["ttft_ms"] = .int(ttft.milliseconds) }
        if let reasoning = completion.reasoning { result["reasoning"] = .string(reasoning) }
        if let id = completion.providerRequestID { result["provider_request_id"] = .string(id) }
        if !answer.rateLimits.isEmpty { result["rate_limits"] = answer.rateLimits.json }
        result["attempts"] = .array(attempts.map(\.json))
        return .object(result)
    }

    private func failure(_ progress: Progress, deadlinePassed: Bool) -> RPCError {
        let attempts = progress.attempts
        var data: JSONObject = ["attempts": .array(attempts.map(\.json))]
        if !progress.skipped.isEmpty {
            data["skipped"] = .array(progress.skipped.map { ["provider": .string($0.0.provider), "model": .string($0.0.model), "reason": .string($0.1.reason)] })
        }
        if progress.outputSent {
            // The caller received this much text from an attempt that failed: it is not an answer.
            data["partial_output_sent"] = true
            data["partial_output_chars"] = .int(progress.partialCharacters)
        }
        // The transport's overall clock is the request's deadline: its expiry is a timeout, however it surfaced.
        if deadlinePassed || progress.lastError?.kind == .transport(.deadline) {
            return RPCError(code: RPCErrorCode.timeout.rawValue, message: "Timeout: the request's deadline passed", data: .object(data))
        }
        if let last = progress.lastError, let target = attempts.last?.target {
            data["provider"] = .string(target.provider)
            data["status"] = last.status.map { .int($0) } ?? .null
            data["type"] = .string(last.type ?? last.kindName)
            data["message"] = .string(last.message)
            if attempts.allSatisfy({ $0.error?.kind == .rateLimited }), let wait = last.hints.retryAfter {
                data["retry_after_ms"] = .int(wait.milliseconds)
                return RPCError(code: RPCErrorCode.rateLimited.rawValue, message: "Rate limited by every target", data: .object(data))
            }
            let disposition = FailurePolicy.disposition(for: last)
            if disposition.failover == .none || (attempts.count == 1 && last.status != nil) {
                // The provider's own answer (a refusal, a bad request): the caller gets its reason.
                return RPCError(
                    code: RPCErrorCode.upstreamError.rawValue,
                    message: "Upstream error from \(target.provider): \(last.message)",
                    data: .object(data)
                )
            }
        } else if attempts.isEmpty, progress.skipped.contains(where: { if case .rateLimited = $0.1 { true } else { false } }) {
            let wait = progress.skipped.compactMap { if case .rateLimited(let wait) = $0.1 { wait } else { nil } }.min() ?? .seconds(1)
            data["retry_after_ms"] = .int(wait.milliseconds)
            return RPCError(code: RPCErrorCode.rateLimited.rawValue, message: "Rate limited: no target has room now", data: .object(data))
        }
        return RPCError(
            code: RPCErrorCode.noProviderAvailable.rawValue,
            message: "No provider could answer (\(attempts.count) attempt\(attempts.count == 1 ? "" : "s"), \(progress.skipped.count) target\(progress.skipped.count == 1 ? "" : "s") skipped)",
            data: .object(data)
        )
    }
}

/// One attempt as the result reports it.
struct AttemptRecord: Sendable {
    var target: TargetRef
    var error: ProviderError?
    var latency: Duration
    var status: Int?
    /// Time spent waiting before this attempt (backoff, a provider's Retry-After, a rate window).
    var wait: Duration = .zero

    var json: JSONValue {
        var object: JSONObject = [
            "provider": .string(self.target.provider),
            "model": .string(self.target.model),
            "outcome": .string(self.error?.kindName ?? "ok"),
            "status": self.status.map { .int($0) } ?? .null,
            "latency_ms": .int(self.latency.milliseconds),
            "wait_ms": .int(self.wait.milliseconds),
        ]
        if let error = self.error {
            object["error_type"] = error.type.map(JSONValue.string) ?? .null
            object["error"] = .string(error.message)
        }
        return .object(object)
    }
}
