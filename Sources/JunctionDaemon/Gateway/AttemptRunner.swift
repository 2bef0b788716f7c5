#if canImport(Glibc)
import Glibc
#endif
import JunctionCore
import JunctionProviders
import Logging

/// Runs one attempt on one target: builds the native request through the provider's adapter, executes it with
/// the planner's deadline as the transport's only overall clock, and decodes the answer, forwarding a stream's
/// deltas to the caller's sink as they come. No policy lives here: it reports what happened.
struct AttemptRunner: Sendable {
    let executor: any HTTPExecutor
    let clock: any GatewayClock
    let logger: Logger

    struct Answer: Sendable {
        var completion: Completion
        var ttft: Duration?
        var status: Int
        var rateLimits: RateLimitSnapshot
    }

    struct Failure: Error, Sendable {
        var error: ProviderError
        var outputSent: Bool
        /// Characters of answer text already sent as deltas.
        var sentCharacters = 0
    }

    struct Run: Sendable {
        var started: ContinuousClock.Instant
        var ended: ContinuousClock.Instant
        var result: Result<Answer, Failure>

        var latency: Duration { self.ended - self.started }
    }

    func run(
        chat: ChatRequest,
        target: TargetRef,
        provider: ProviderRegistry.Provider,
        number: Int,
        deadline: ContinuousClock.Instant,
        events: GenerateEventSink?
    ) async -> Run {
        let started = self.clock.now
        var http = provider.prepare(
            provider.adapter.chatRequest(chat, model: target.model, endpoint: provider.endpoint),
            deadline: deadline - started
        )
        let result: Result<Answer, Failure>
        do {
            if chat.stream {
                http.timeouts.firstToken = provider.ttftTimeout
                result = try await self.stream(provider: provider, http: http, number: number, events: events)
            } else {
                result = try await self.unary(provider: provider, http: http)
            }
        } catch let failure as Failure {
            result = .failure(failure)
        } catch let error as TransportError {
            result = .failure(Failure(error: error.providerError, outputSent: false))
        } catch {
            // Cancellation: the gateway sees the cancelled task and reports the attempt abandoned.
            result = .failure(Failure(error: ProviderError(kind: .transport(.other), message: "cancelled"), outputSent: false))
        }
        return Run(started: started, ended: self.clock.now, result: result)
    }

    /// Wall-clock seconds, for the adapters' parsing of HTTP-date and reset headers.
    private static func wallClock() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    private func unary(provider: ProviderRegistry.Provider, http: HTTPRequest) async throws -> Result<Answer, Failure> {
        var head: HTTPResponseHead?
        var body: [UInt8] = []
        for try await part in self.executor.send(http) {
            switch part {
            case .head(let received): head = received
            case .body(let bytes): body += bytes
            }
        }
        guard let head else {
            throw Failure(error: ProviderError(kind: .malformed, message: "no response"), outputSent: false)
        }
        let now = Self.wallClock()
        guard (200..<300).contains(head.status) else {
            throw Failure(error: provider.adapter.parseError(head, body: body, now: now), outputSent: false)
        }
        switch provider.adapter.parseCompletion(head, body: body, now: now) {
        case .success(let completion):
            return .success(
                Answer(
                    completion: completion, ttft: nil, status: head.status,
                    rateLimits: provider.adapter.rateLimits(head, now: now)
                )
            )
        case .failure(let error):
            throw Failure(error: error, outputSent: false)
        }
    }

    /// Reads a streamed answer, forwarding deltas as they come. The transport keeps every clock, the time to first
    /// token included (stopped by `markFirstToken`), so no timer task runs beside it.
    private func stream(
        provider: ProviderRegistry.Provider,
        http: HTTPRequest,
        number: Int,
        events: GenerateEventSink?
    ) async throws -> Result<Answer, Failure> {
        let started = self.clock.now
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

        func failed(_ error: ProviderError) -> Result<Answer, Failure> {
            .failure(Failure(error: error, outputSent: sequence > 0, sentCharacters: text.count))
        }

        let response = self.executor.send(http)
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
                                ttft = self.clock.now - started
                                response.markFirstToken()
                            }
                            text += delta
                            events?(.delta(attempt: number, seq: sequence, text: delta))
                            sequence += 1
                        case .reasoning(let part):
                            response.markFirstToken()
                            reasoning += part
                            events?(.reasoning(attempt: number, text: part))
                        case .usage(let reported):
                            usage = reported
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
        let now = Self.wallClock()
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
            self.logger.warning(
                "skipped malformed stream events",
                metadata: ["provider": "\(provider.name)", "count": "\(decoder.malformedEvents)"]
            )
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
}
