import JunctionCore
import NIOConcurrencyHelpers

/// What `/readyz` knows about the daemon's own lifecycle: whether the RPC socket listens yet, and whether
/// shutdown has begun. Provider health comes from the resilience state at the time of the question.
final class DaemonReadiness: Sendable {
    private let flags = NIOLockedValueBox((started: false, draining: false))

    /// Not started, not draining.
    init() {}

    /// The RPC socket listens.
    func markStarted() { self.flags.withLockedValue { $0.started = true } }
    /// Graceful shutdown began.
    func markDraining() { self.flags.withLockedValue { $0.draining = true } }

    /// The daemon is shutting down.
    var isDraining: Bool { self.flags.withLockedValue { $0.draining } }

    /// The verdict for `providers` (each configured provider's current status).
    func evaluate(providers: [Readiness.ProviderState]) -> Readiness {
        let flags = self.flags.withLockedValue { $0 }
        return Readiness.evaluate(started: flags.started, draining: flags.draining, providers: providers)
    }
}

/// A check that is run at most once per `maxAge`; callers in between get its last answer. `/healthz` runs the
/// watchdog's liveness check through it, so that a busy load balancer does not wake the libcurl thread for
/// every probe.
final class CachedCheck: Sendable {
    private let check: @Sendable () async -> String?
    private let maxAge: Duration
    private let last = NIOLockedValueBox<(at: ContinuousClock.Instant, problem: String?)?>(nil)

    /// A cache of `check`'s answers, each kept for `maxAge`.
    init(maxAge: Duration, _ check: @escaping @Sendable () async -> String?) {
        self.maxAge = maxAge
        self.check = check
    }

    /// What failed (nil: alive), at most `maxAge` old.
    func problem() async -> String? {
        let now = ContinuousClock.now
        if let last = self.last.withLockedValue({ $0 }), now - last.at < self.maxAge { return last.problem }
        let problem = await self.check()
        self.last.withLockedValue { $0 = (ContinuousClock.now, problem) }
        return problem
    }
}
