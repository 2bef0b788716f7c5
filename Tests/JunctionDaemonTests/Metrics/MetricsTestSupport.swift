import JunctionCore
import NIOConcurrencyHelpers

@testable import JunctionDaemon

/// A recorder on a configuration from TOML, fed hand-made outcomes; its registry's text parsed for assertions.
final class MetricsFixture: Sendable {
    static let providers = """
        [providers.a]
        kind = "openai-compatible"
        base_url = "http://127.0.0.1:9/v1"
        [[providers.a.models]]
        id = "m1"
        [providers.b]
        kind = "openai-compatible"
        base_url = "http://127.0.0.1:9/v1"
        [[providers.b.models]]
        id = "m2"
        [routes.main]
        targets = ["a:m1", "b:m2"]

        """

    private let active: NIOLockedValueBox<ActiveConfiguration>
    let recorder: MetricsRecorder
    let started = ContinuousClock.now

    init(_ extra: String = "") throws {
        let loaded = try ConfigLoader.parse(text: Self.providers + extra, file: "test.toml")
        let active = NIOLockedValueBox(ActiveConfiguration(loaded: loaded, environment: [:]))
        self.active = active
        self.recorder = MetricsRecorder(configuration: { active.withLockedValue { $0 } })
    }

    var configuration: ActiveConfiguration { self.active.withLockedValue { $0 } }

    func reload(_ extra: String) throws {
        let loaded = try ConfigLoader.parse(text: Self.providers + extra, file: "test.toml")
        let active = ActiveConfiguration(loaded: loaded, environment: [:])
        self.active.withLockedValue { $0 = active }
    }

    var exposition: Exposition { Exposition(self.recorder.registry.emitToString()) }

    // MARK: - Outcomes

    static func target(_ text: String) -> TargetRef {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        return TargetRef(provider: parts[0], model: parts[1])
    }

    /// An attempt record: answered (reason nil) or failed with `reason`; billed `usage` at `costMicroUSD`.
    static func attempt(
        _ target: String, reason: String? = nil, usage: Usage? = nil, costMicroUSD: MicroUSD? = nil
    ) -> AttemptRecord {
        var record = AttemptRecord(
            target: Self.target(target),
            error: reason.map { _ in ProviderError(kind: .serverError, status: 503, message: "down") },
            reason: reason, latency: .milliseconds(100), status: reason == nil ? 200 : 503
        )
        if let usage {
            var charge = AttemptCharge(billed: BilledUsage(usage: usage, estimated: false), price: nil)
            charge.cost = costMicroUSD.map { CostBreakdown(input: $0) }
            record.charge = charge
        }
        return record
    }

    func answered(
        _ target: String, attempts: [AttemptRecord], served: CacheServe? = nil, ttft: Duration? = nil
    ) -> RequestOutcome.Result {
        .answered(
            GenerateResult(
                requestID: "r", completion: Completion(text: "ok", finishReason: .stop, model: "m"), usage: Usage(),
                usageEstimated: false, target: Self.target(target), latency: .milliseconds(300), ttft: ttft,
                rateLimits: RateLimitSnapshot(), attempts: attempts, skipped: [],
                details: ResultDetails(served: served)
            )
        )
    }

    func request(
        route: String? = nil, model: String? = nil, stream: Bool = false, client: String? = nil,
        attempts: [AttemptRecord], result: RequestOutcome.Result, duration: Duration = .milliseconds(300)
    ) -> RequestOutcome {
        var chat = ChatRequest(messages: [ChatMessage(role: .user, content: "hi")])
        chat.route = route
        chat.model = model
        chat.stream = stream
        return RequestOutcome(
            requestID: "r", request: GenerateRequest(chat: chat, client: client), wallStart: 0, promptSHA256: "",
            started: self.started, ended: self.started + duration, attempts: attempts,
            cost: RequestCost(attempts: attempts), reservation: nil, result: result
        )
    }

    /// Reports `outcome` and each of its attempts, as the gateway does.
    func report(_ outcome: RequestOutcome) {
        for (index, record) in outcome.attempts.enumerated() {
            let result: AttemptOutcome.Result =
                if let reason = record.reason {
                    .failed(
                        AttemptOutcome.Failure(
                            error: record.error!,
                            disposition: FailureDisposition(
                                retrySameTarget: true, failover: .next, breaker: .countTarget),
                            reason: reason, outputSent: false, sentCharacters: 0
                        )
                    )
                } else {
                    .answered(
                        AttemptOutcome.Answer(
                            status: 200, latency: .milliseconds(100), totalTokens: nil, rateLimits: RateLimitSnapshot()
                        )
                    )
                }
            self.recorder.attemptFinished(
                AttemptOutcome(
                    target: record.target, number: index + 1, wait: .zero, started: self.started,
                    ended: self.started + .milliseconds(100), estimatedTokens: 0, probes: [], result: result
                )
            )
        }
        self.recorder.requestFinished(outcome)
    }
}
