/// The targets a request may go to, in the order they are tried, each eligible or skipped with the reason: the
/// answer to "why did my request not go to X?". A value, computed by `RoutingPlanner` from the routing table, the
/// request and a snapshot of the resilience state.
public struct RoutingPlan: Sendable, Equatable {
    public enum Verdict: Sendable, Equatable {
        /// The target may be tried; with a wait, its rate window has room only after that long.
        case eligible(windowWait: Duration?)
        case skipped(SkipReason)
    }

    public struct Entry: Sendable, Equatable {
        public var target: TargetRef
        public var verdict: Verdict

        public init(target: TargetRef, verdict: Verdict) {
            self.target = target
            self.verdict = verdict
        }

        public var isEligible: Bool {
            if case .eligible = self.verdict { true } else { false }
        }
    }

    public var entries: [Entry]
    /// When every target is skipped for an open breaker: the one open longest, which gets one real attempt as
    /// its probe so that a recovered provider is found.
    public var allOpenFallback: TargetRef?

    public init(entries: [Entry], allOpenFallback: TargetRef? = nil) {
        self.entries = entries
        self.allOpenFallback = allOpenFallback
    }

    public var eligible: [TargetRef] { self.entries.filter(\.isEligible).map(\.target) }

    public var skipped: [(target: TargetRef, reason: SkipReason)] {
        self.entries.compactMap { entry in
            if case .skipped(let reason) = entry.verdict { (entry.target, reason) } else { nil }
        }
    }
}

/// Why a target is not tried. `code` is a stable name (RPC results, logs); `detail` says it for people.
public enum SkipReason: Sendable, Equatable {
    /// `enabled = false` in the configuration.
    case disabled
    /// `admin.provider.disable`.
    case adminDisabled
    /// The provider's key could not be read.
    case keyUnavailable(String)
    /// The provider rejected its key; it stays skipped until a reload or a successful probe.
    case authFailed(String)
    /// The provider reported exhausted quota (billing); cooling down until then.
    case quotaCooling(until: ContinuousClock.Instant)
    /// The target's daily quota is spent; cooling down until the provider's daily reset.
    case dailyQuota(until: ContinuousClock.Instant)
    /// The prompt (estimated) does not fit the configured window, or a larger window is needed.
    case contextWindowTooSmall(window: Int?, needed: Int)
    /// The provider's or the target's breaker is open until then.
    case breakerOpen(until: ContinuousClock.Instant)
    /// The breaker is half-open and its one probe is in flight.
    case breakerProbing
    /// No room in the rate window within the queue limit and the deadline.
    case noWindowRoom(wait: Duration)

    public var code: String {
        switch self {
        case .disabled: "disabled"
        case .adminDisabled: "admin_disabled"
        case .keyUnavailable: "key_unavailable"
        case .authFailed: "auth_failed"
        case .quotaCooling: "quota_exhausted"
        case .dailyQuota: "daily_quota"
        case .contextWindowTooSmall: "context_window_too_small"
        case .breakerOpen, .breakerProbing: "breaker_open"
        case .noWindowRoom: "rate_limited"
        }
    }

    /// Until when the reason holds, where it has an end.
    public var until: ContinuousClock.Instant? {
        switch self {
        case .quotaCooling(let until), .dailyQuota(let until), .breakerOpen(let until): until
        default: nil
        }
    }

    public var isBreaker: Bool {
        switch self {
        case .breakerOpen, .breakerProbing: true
        default: false
        }
    }

    public func detail(at now: ContinuousClock.Instant) -> String {
        func left(_ until: ContinuousClock.Instant) -> String { DurationText.approximate(until - now) }
        switch self {
        case .disabled: return "enabled = false in the configuration"
        case .adminDisabled: return "disabled by admin (junctionctl provider enable to undo)"
        case .keyUnavailable(let problem): return "API key unavailable: \(problem)"
        case .authFailed(let message): return "the provider rejected the key: \(message)"
        case .quotaCooling(let until): return "quota exhausted; cooling down for \(left(until))"
        case .dailyQuota(let until): return "daily quota spent; resets in \(left(until))"
        case .contextWindowTooSmall(let window, let needed):
            let size = window.map(String.init) ?? "unknown"
            return "context window \(size) is too small (needs more than \(needed) tokens)"
        case .breakerOpen(let until): return "circuit breaker open; next probe in \(left(until))"
        case .breakerProbing: return "circuit breaker half-open; its probe is in flight"
        case .noWindowRoom(let wait): return "rate window full; room in \(DurationText.approximate(wait))"
        }
    }
}
