import JunctionCore
import JunctionProviders

/// Active health checks: the provider's models endpoint, or a 1-token generate on a model (the only check that
/// tells whether that model answers). Probes are not client requests: they count toward health and breakers,
/// never toward usage.
struct Prober: Sendable {
    let transport: Transport
    let resilience: Resilience

    struct Outcome: Sendable {
        var ok: Bool
        var latency: Duration
        var detail: String
        /// The daemon could not open a socket (out of file descriptors): the probe says nothing about the provider
        /// and is not reported to its health.
        var local = false
    }

    /// Probes `provider` (with `model`: a 1-token generate on it; without: the configured probe) and reports
    /// the outcome to the resilience state.
    func probe(_ provider: ProviderRegistry.Provider, model: String?) async -> Outcome {
        let policy = provider.policy
        let generateModel = model ?? (policy.health.probe == .generate ? policy.health.probeModel ?? provider.config.defaultModel : nil)
        let started = ContinuousClock.now
        var outcome: Outcome
        if let problem = provider.keyProblem {
            outcome = Outcome(ok: false, latency: .zero, detail: "API key unavailable: \(problem)")
        } else if let generateModel {
            let request = ChatRequest(messages: [ChatMessage(role: .user, content: "ping")], maxTokens: 1)
            let http = provider.prepare(provider.adapter.chatRequest(request, model: generateModel, endpoint: provider.endpoint), deadline: .seconds(15))
            outcome = await self.send(http, started: started) { _ in "1-token generate on \(generateModel)" }
        } else {
            let http = provider.prepare(provider.adapter.modelsRequest(endpoint: provider.endpoint), deadline: .seconds(15))
            outcome = await self.send(http, started: started) { body in
                provider.adapter.parseModels(body).map { "models endpoint lists \($0.count) models" } ?? "models endpoint answered"
            }
        }
        let target = generateModel.map { TargetRef(provider: provider.name, model: $0) }
        if !outcome.local {
            self.resilience.probeFinished(
                target, provider: provider.name, ok: outcome.ok, latency: outcome.latency, detail: outcome.detail
            )
        }
        return outcome
    }

    private func send(_ http: HTTPRequest, started: ContinuousClock.Instant, describe: ([UInt8]) -> String) async -> Outcome {
        var status = 0
        var body: [UInt8] = []
        do {
            for try await part in self.transport.execute(http) {
                switch part {
                case .head(let head): status = head.status
                case .body(let bytes): body += bytes
                }
            }
        } catch let error as TransportError {
            return Outcome(
                ok: false, latency: ContinuousClock.now - started, detail: "\(error)",
                local: error.failure == .outOfFileDescriptors
            )
        } catch {
            return Outcome(ok: false, latency: ContinuousClock.now - started, detail: "cancelled")
        }
        let latency = ContinuousClock.now - started
        guard (200..<300).contains(status) else { return Outcome(ok: false, latency: latency, detail: "HTTP \(status)") }
        return Outcome(ok: true, latency: latency, detail: describe(body))
    }
}
