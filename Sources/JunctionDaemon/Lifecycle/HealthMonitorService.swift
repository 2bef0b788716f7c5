import JunctionCore
import Logging
import ServiceLifecycle

/// Probes every provider at its health interval (default 30 s), and every target whose breaker is open every
/// 5 s with a 1-token generate on its own model, so that recovery is noticed within seconds however long the
/// outage lasted, while a down provider gets at most one probe per 5 s. Only configured targets and those a
/// request used recently are probed; on every turn the idle dynamic targets are forgotten. In a fleet
/// (`[shared]`) one daemon per interval sends each probe: a down provider sees one probe per interval, not one per
/// daemon; the prober's result reaches the others as its breaker's marks.
struct HealthMonitorService: Service {
    let runtime: DaemonRuntime
    let prober: Prober
    let resilience: Resilience
    let logger: Logger

    func run() async throws {
        var nextRoutine: [String: ContinuousClock.Instant] = [:]
        var nextOpenProbe: [TargetRef: ContinuousClock.Instant] = [:]
        while !Task.isShuttingDownGracefully {
            let now = ContinuousClock.now
            let registry = self.runtime.active.registry
            var due: [(ProviderRegistry.Provider, String?)] = []
            for provider in registry.providers where provider.config.enabled {
                // The first routine probe waits one interval: start-up should not fan out to every provider.
                let next = nextRoutine[provider.name] ?? now + provider.policy.health.interval
                if now >= next {
                    due.append((provider, nil))
                    nextRoutine[provider.name] = now + provider.policy.health.interval
                } else {
                    nextRoutine[provider.name] = next
                }
            }
            self.resilience.forgetIdleTargets(at: now)
            let open = Set(self.resilience.openTargets(at: now))
            nextOpenProbe = nextOpenProbe.filter { open.contains($0.key) }
            for target in open {
                guard let provider = registry.provider(named: target.provider) else { continue }
                let next = nextOpenProbe[target] ?? now + provider.policy.health.openProbeInterval
                if now >= next {
                    due.append((provider, target.model))
                    nextOpenProbe[target] = now + provider.policy.health.openProbeInterval
                } else {
                    nextOpenProbe[target] = next
                }
            }
            if !due.isEmpty {
                await withTaskGroup(of: Void.self) { group in
                    for (provider, model) in due {
                        group.addTask {
                            if let shared = self.resilience.shared {
                                let interval = model == nil
                                    ? provider.policy.health.interval : provider.policy.health.openProbeInterval
                                guard await shared.claimProbe(provider: provider.name, model: model, every: interval)
                                else { return }
                            }
                            let outcome = await self.prober.probe(provider, model: model)
                            self.logger.debug(
                                "health probe",
                                metadata: ["provider": "\(provider.name)", "model": "\(model ?? "-")", "ok": "\(outcome.ok)", "detail": "\(outcome.detail)"]
                            )
                        }
                    }
                }
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(500)) }
            } catch {
                return
            }
        }
    }
}
