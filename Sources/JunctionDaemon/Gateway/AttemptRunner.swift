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

    /// An answer. Answers and failures are classes: the attempt's async frames carry references, not values.
    final class Answer: Sendable {
        let completion: Completion
        let ttft: Duration?
        let status: Int
        let rateLimits: RateLimitSnapshot
        /// UTF-8 offsets in the text where each streamed delta ended; empty for an unstreamed answer.
        let deltaEnds: [Int32]

        init(
            completion: Completion,
            ttft: Duration?,
            status: Int,
            rateLimits: RateLimitSnapshot,
            deltaEnds: [Int32] = []
        ) {
            self.completion = completion
            self.ttft = ttft
            self.status = status
            self.rateLimits = rateLimits
            self.deltaEnds = deltaEnds
        }
    }

    final class Failure: Error, Sendable {
        let error: ProviderError
        let outputSent: Bool
        /// Characters of answer text already sent as deltas.
        let sentCharacters: Int
        /// What the provider billed although the attempt failed: set once it answered 2xx (nil: nothing).
        let billed: BilledUsage?

        init(error: ProviderError, outputSent: Bool, sentCharacters: Int = 0, billed: BilledUsage? = nil) {
            self.error = error
            self.outputSent = outputSent
            self.sentCharacters = sentCharacters
            self.billed = billed
        }
    }

    /// How the attempt went. A class: the caller's frame holds a reference across the await, not the value.
    final class Run: Sendable {
        let started: ContinuousClock.Instant
        let ended: ContinuousClock.Instant
        let result: Result<Answer, Failure>

        init(started: ContinuousClock.Instant, ended: ContinuousClock.Instant, result: Result<Answer, Failure>) {
            self.started = started
            self.ended = ended
            self.result = result
        }

        var latency: Duration { self.ended - self.started }
    }

    func run(
        request: GenerateRequest,
        target: TargetRef,
        provider: ProviderRegistry.Provider,
        number: Int,
        deadline: ContinuousClock.Instant,
        events: GenerateEventSink?,
        redactor: SecretRedactor
    ) async -> Run {
        let started = self.clock.now
        let response = self.send(request, target: target, provider: provider, deadline: deadline - started)
        let result: Result<Answer, Failure>
        do {
            if request.chat.stream {
                result = try await self.stream(
                    provider: provider, response: response, number: number, events: events,
                    promptTokens: request.chat.estimatedPromptTokens
                )
            } else {
                result = try await self.unary(
                    provider: provider, response: response, promptTokens: request.chat.estimatedPromptTokens
                )
            }
        } catch {
            result = .failure(Self.failure(from: error))
        }
        return Run(started: started, ended: self.clock.now, result: Self.redacted(result, by: redactor))
    }

    /// Upstream text enters the daemon here: a failure's provider-given texts lose every configured secret and any
    /// credential in header-echo form before logs, results, errors or health see them.
    @inline(never)  // keeps its temporaries out of the attempt's async frame
    private static func redacted(
        _ result: Result<Answer, Failure>,
        by redactor: SecretRedactor
    ) -> Result<Answer, Failure> {
        guard case .failure(let failure) = result else { return result }
        return .failure(
            Failure(
                error: redactor.redact(failure.error), outputSent: failure.outputSent,
                sentCharacters: failure.sentCharacters, billed: failure.billed
            )
        )
    }

    /// What a thrown error means for the attempt.
    @inline(never)  // keeps its temporaries out of the attempt's async frame
    private static func failure(from error: any Error) -> Failure {
        switch error {
        case let failure as Failure: failure
        case let error as TransportError: Failure(error: error.providerError, outputSent: false)
        // Cancellation: the gateway sees the cancelled task and reports the attempt abandoned.
        default: Failure(error: ProviderError(kind: .transport(.other), message: "cancelled"), outputSent: false)
        }
    }

    /// Sends the native request, with the planner's deadline as its only overall clock.
    @inline(never)  // keeps the request's copies out of the attempt's async frame
    private func send(
        _ request: GenerateRequest,
        target: TargetRef,
        provider: ProviderRegistry.Provider,
        deadline: Duration
    ) -> HTTPResponse {
        self.executor.send(Self.http(request, target: target, provider: provider, deadline: deadline))
    }

    /// The native request, with the planner's deadline as its only overall clock.
    private static func http(
        _ request: GenerateRequest,
        target: TargetRef,
        provider: ProviderRegistry.Provider,
        deadline: Duration
    ) -> HTTPRequest {
        var http = provider.prepare(
            provider.adapter.chatRequest(request.chat, model: target.model, endpoint: provider.endpoint),
            deadline: deadline
        )
        if request.chat.stream { http.timeouts.firstToken = provider.ttftTimeout }
        return http
    }

    /// Wall-clock seconds, for the adapters' parsing of HTTP-date and reset headers.
    static func wallClock() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    private func unary(
        provider: ProviderRegistry.Provider,
        response: HTTPResponse,
        promptTokens: Int
    ) async throws -> Result<Answer, Failure> {
        var head: HTTPResponseHead?
        var body: [UInt8] = []
        do {
            for try await part in response {
                switch part {
                case .head(let received): head = received
                case .body(let bytes): body += bytes
                }
            }
        } catch {
            // After a 2xx head the provider ran the model: the prompt at least was billed, whatever cut the body
            // (a reset, the body limit, a timeout, the caller leaving).
            guard let head, (200..<300).contains(head.status) else { throw error }
            let failure = Self.failure(from: error)
            return .failure(
                Failure(
                    error: failure.error, outputSent: false,
                    billed: BilledUsage.estimate(promptTokens: promptTokens, text: "")
                )
            )
        }
        return Self.answer(head: head, body: body, provider: provider, promptTokens: promptTokens)
    }

    /// The whole response, parsed.
    @inline(never)  // keeps its temporaries out of the attempt's async frame
    private static func answer(
        head: HTTPResponseHead?,
        body: [UInt8],
        provider: ProviderRegistry.Provider,
        promptTokens: Int
    ) -> Result<Answer, Failure> {
        guard let head else {
            return .failure(Failure(error: ProviderError(kind: .malformed, message: "no response"), outputSent: false))
        }
        let now = Self.wallClock()
        guard (200..<300).contains(head.status) else {
            return .failure(Failure(error: provider.adapter.parseError(head, body: body, now: now), outputSent: false))
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
            // A 2xx answer that cannot be read was still billed: at least for the prompt.
            return .failure(
                Failure(
                    error: error, outputSent: false,
                    billed: BilledUsage.estimate(promptTokens: promptTokens, text: "")
                )
            )
        }
    }

    /// Reads a streamed answer, forwarding deltas as they come. The transport keeps every clock, the time to first
    /// token included (stopped by `markFirstToken`), so no timer task runs beside it.
    private func stream(
        provider: ProviderRegistry.Provider,
        response: HTTPResponse,
        number: Int,
        events: GenerateEventSink?,
        promptTokens: Int
    ) async throws -> Result<Answer, Failure> {
        let state = StreamState(
            decoder: provider.adapter.makeStreamDecoder(), started: self.clock.now, number: number,
            promptTokens: promptTokens
        )
        do {
            for try await part in response {
                if state.consume(part, response: response, clock: self.clock, events: events) { break }
            }
        } catch let error as TransportError {
            // A stream that already finished and then lost its connection is complete; anything else is not.
            if state.finish == nil || state.usage == nil { return state.failed(error.providerError) }
        } catch {
            // Cancelled (the caller left): what the stream had produced was billed all the same.
            return state.failed(ProviderError(kind: .transport(.other), message: "cancelled"))
        }
        return state.finish(provider: provider, logger: self.logger)
    }
}

/// What a stream said so far. Its parsing runs in synchronous methods, so that the temporaries of decoding stay on
/// the thread's stack; a class, so that the held request's async frame keeps only a reference.
private final class StreamState {
    var decoder: any StreamDecoding
    let started: ContinuousClock.Instant
    let number: Int
    var head: HTTPResponseHead?
    var errorBody: [UInt8] = []
    var text = ""
    var reasoning = ""
    var usage: Usage?
    var finish: FinishReason?
    var stopSequence: String?
    var model: String?
    var providerRequestID: String?
    var sequence = 0
    /// Where each delta ended in `text`, in UTF-8 bytes (kept so that a cached answer replays the same deltas).
    var deltaEnds: [Int32] = []
    var ttft: Duration?
    /// An error event in the stream.
    var error: ProviderError?

    /// The prompt's estimated tokens, for the billed estimate of a stream that fails before reporting usage.
    let promptTokens: Int

    init(decoder: any StreamDecoding, started: ContinuousClock.Instant, number: Int, promptTokens: Int) {
        self.decoder = decoder
        self.started = started
        self.number = number
        self.promptTokens = promptTokens
    }

    /// Takes one part of the response; true when the stream is over (its end event, or an error event).
    @inline(never)  // keeps its temporaries out of the stream's async frame
    func consume(
        _ part: HTTPResponse.Element,
        response: HTTPResponse,
        clock: any GatewayClock,
        events: GenerateEventSink?
    ) -> Bool {
        switch part {
        case .head(let received):
            self.head = received
            if !(200..<300).contains(received.status) { response.markFirstToken() }  // an error answer is not silence
            return false
        case .body(let bytes):
            guard let head = self.head, (200..<300).contains(head.status) else {
                self.errorBody += bytes
                return false
            }
            for event in self.decoder.feed(bytes) {
                switch event {
                case .delta(let delta):
                    if self.ttft == nil {
                        self.ttft = clock.now - self.started
                        response.markFirstToken()
                    }
                    self.text += delta
                    self.deltaEnds.append(Int32(clamping: self.text.utf8.count))
                    events?(.delta(attempt: self.number, seq: self.sequence, text: delta))
                    self.sequence += 1
                case .reasoning(let part):
                    response.markFirstToken()
                    self.reasoning += part
                    events?(.reasoning(attempt: self.number, text: part))
                case .usage(let reported):
                    self.usage = reported
                case .finish(let reason):
                    response.markFirstToken()
                    self.finish = reason
                case .stopSequence(let sequence):
                    self.stopSequence = sequence
                case .metadata(let reportedModel, let id):
                    self.model = reportedModel ?? self.model
                    self.providerRequestID = id ?? self.providerRequestID
                case .end:
                    return true
                case .error(let error):
                    self.error = error
                    return true
                }
            }
            return false
        }
    }

    func failed(_ error: ProviderError) -> Result<AttemptRunner.Answer, AttemptRunner.Failure> {
        .failure(
            AttemptRunner.Failure(
                error: error, outputSent: self.sequence > 0, sentCharacters: self.text.count, billed: self.billed
            )
        )
    }

    /// What the provider billed for a stream that did not finish: nothing unless it answered 2xx; then the usage
    /// it reported so far, else an estimate from the prompt and the text it sent.
    private var billed: BilledUsage? {
        guard let head = self.head, (200..<300).contains(head.status) else { return nil }
        let estimate = BilledUsage.estimate(promptTokens: self.promptTokens, text: self.text, reasoning: self.reasoning)
        guard var reported = self.usage else { return estimate }
        // Usage reported so far (Anthropic's message_start) may count the prompt but not yet the output sent.
        if reported.completionTokens >= estimate.usage.completionTokens {
            return BilledUsage(usage: reported, estimated: false)
        }
        reported.completionTokens = estimate.usage.completionTokens
        reported.reasoningTokens = max(reported.reasoningTokens, estimate.usage.reasoningTokens)
        if reported.promptTokens == 0 { reported.promptTokens = self.promptTokens }
        return BilledUsage(usage: reported, estimated: true)
    }

    /// The answer, or why the stream is not one.
    @inline(never)  // keeps its temporaries out of the stream's async frame
    func finish(
        provider: ProviderRegistry.Provider,
        logger: Logger
    ) -> Result<AttemptRunner.Answer, AttemptRunner.Failure> {
        if let error = self.error { return self.failed(error) }
        guard let head = self.head else { return self.failed(ProviderError(kind: .malformed, message: "no response")) }
        let now = AttemptRunner.wallClock()
        guard (200..<300).contains(head.status) else {
            return self.failed(provider.adapter.parseError(head, body: self.errorBody, now: now))
        }
        guard let finish = self.finish else {
            return self.failed(
                ProviderError(
                    kind: .truncated,
                    status: head.status,
                    message: "the stream ended before the answer did (\(self.sequence) deltas, no finish reason)"
                )
            )
        }
        if self.decoder.malformedEvents > 0 {
            logger.warning(
                "skipped malformed stream events",
                metadata: ["provider": "\(provider.name)", "count": "\(self.decoder.malformedEvents)"]
            )
        }
        return .success(
            AttemptRunner.Answer(
                completion: Completion(
                    text: self.text,
                    reasoning: self.reasoning.isEmpty ? nil : self.reasoning,
                    finishReason: finish,
                    model: self.model ?? "",
                    usage: self.usage,
                    providerRequestID: self.providerRequestID,
                    stopSequence: self.stopSequence
                ),
                ttft: self.ttft,
                status: head.status,
                rateLimits: provider.adapter.rateLimits(head, now: now),
                deltaEnds: self.deltaEnds
            )
        )
    }
}
