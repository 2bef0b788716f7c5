/// A circuit breaker for one target: CLOSED → OPEN after consecutive failures or a high failure rate; OPEN
/// skips the target; after the open interval, HALF_OPEN admits exactly one probe; its success closes the
/// breaker, its failure opens it again for twice as long (up to a maximum). Pure: time is passed in, and each
/// event returns the transition it caused, for the shell to log and announce.
public struct CircuitBreaker: Sendable, Equatable {
    public struct Configuration: Sendable, Equatable {
        public var failureThreshold: Int
        public var failureRate: Double
        public var minRequests: Int
        public var window: Duration
        public var openFor: Duration
        public var maxOpenFor: Duration

        public init(
            failureThreshold: Int = 3,
            failureRate: Double = 0.5,
            minRequests: Int = 10,
            window: Duration = .seconds(60),
            openFor: Duration = .seconds(30),
            maxOpenFor: Duration = .seconds(300)
        ) {
            self.failureThreshold = failureThreshold
            self.failureRate = failureRate
            self.minRequests = minRequests
            self.window = window
            self.openFor = openFor
            self.maxOpenFor = maxOpenFor
        }
    }

    public enum State: Sendable, Equatable {
        case closed
        case open(since: ContinuousClock.Instant, until: ContinuousClock.Instant)
        case halfOpen(probeInFlight: Bool)

        public var name: String {
            switch self {
            case .closed: "closed"
            case .open: "open"
            case .halfOpen: "half_open"
            }
        }
    }

    public enum Admission: Sendable, Equatable {
        case permit
        /// The one request that tests a half-open breaker.
        case probe
        case reject(until: ContinuousClock.Instant)
    }

    public struct Transition: Sendable, Equatable {
        public var from: String
        public var to: String
        public var reason: String
    }

    public private(set) var configuration: Configuration
    public private(set) var state: State = .closed
    public private(set) var consecutiveFailures = 0
    /// Consecutive trips without a close in between; the open interval doubles with each.
    public private(set) var trips = 0
    /// When the breaker last opened (for "try the one that opened longest ago" when all are open).
    public private(set) var openedAt: ContinuousClock.Instant?
    private var outcomes: RollingCounter

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.outcomes = RollingCounter(window: configuration.window)
    }

    /// May a request go to this target now? Moves OPEN to HALF_OPEN once the interval is over.
    public mutating func admission(at now: ContinuousClock.Instant) -> (Admission, Transition?) {
        switch self.state {
        case .closed:
            return (.permit, nil)
        case .open(_, let until):
            guard now >= until else { return (.reject(until: until), nil) }
            self.state = .halfOpen(probeInFlight: true)
            return (.probe, Transition(from: "open", to: "half_open", reason: "open interval over; probing"))
        case .halfOpen(let inFlight):
            if inFlight { return (.reject(until: now + .seconds(1)), nil) }
            self.state = .halfOpen(probeInFlight: true)
            return (.probe, nil)
        }
    }

    public mutating func requestSucceeded(at now: ContinuousClock.Instant) -> Transition? {
        self.outcomes.record(at: now) { $0.successes += 1 }
        self.consecutiveFailures = 0
        guard case .halfOpen = self.state else { return nil }
        self.state = .closed
        self.trips = 0
        return Transition(from: "half_open", to: "closed", reason: "probe succeeded")
    }

    public mutating func requestFailed(at now: ContinuousClock.Instant, reason: String) -> Transition? {
        self.outcomes.record(at: now) { $0.failures += 1 }
        self.consecutiveFailures += 1
        switch self.state {
        case .halfOpen:
            return self.trip(at: now, reason: "probe failed: \(reason)", from: "half_open")
        case .open:
            return nil
        case .closed:
            if self.consecutiveFailures >= self.configuration.failureThreshold {
                return self.trip(at: now, reason: "\(self.consecutiveFailures) consecutive failures (last: \(reason))", from: "closed")
            }
            let totals = self.outcomes.totals(at: now)
            let count = totals.successes + totals.failures
            if count >= self.configuration.minRequests,
                Double(totals.failures) / Double(count) >= self.configuration.failureRate
            {
                return self.trip(at: now, reason: "\(totals.failures) of \(count) requests failed (last: \(reason))", from: "closed")
            }
            return nil
        }
    }

    /// Lets one request through an open breaker as its probe (when every target of a route is open, the one
    /// that opened longest ago still gets a real attempt).
    public mutating func beginForcedProbe() -> Transition? {
        guard case .open = self.state else { return nil }
        self.state = .halfOpen(probeInFlight: true)
        return Transition(from: "open", to: "half_open", reason: "every target is open; probing the one open longest")
    }

    /// A half-open probe that ended without an outcome (cancelled by the caller): let another one through.
    public mutating func probeAbandoned() {
        if case .halfOpen = self.state { self.state = .halfOpen(probeInFlight: false) }
    }

    /// Takes new settings (a reload) and keeps the state: an open breaker stays open until its time, and the
    /// outcomes counted so far still count toward the failure rate when the window is unchanged.
    public mutating func reconfigure(_ configuration: Configuration) {
        guard configuration != self.configuration else { return }
        if configuration.window != self.configuration.window {
            self.outcomes = RollingCounter(window: configuration.window)
        }
        self.configuration = configuration
    }

    /// Closes the breaker by hand (`admin.breaker.reset`) or after a successful health probe.
    public mutating func reset(reason: String) -> Transition? {
        let from = self.state.name
        self.state = .closed
        self.consecutiveFailures = 0
        self.trips = 0
        self.outcomes = RollingCounter(window: self.configuration.window)
        return from == "closed" ? nil : Transition(from: from, to: "closed", reason: reason)
    }

    /// Another daemon of the fleet opened this breaker (shared state): it stays open until `until` too, unless this
    /// daemon is probing it right now (its probe's outcome decides here). Returns the transition when it was closed
    /// or half-open without a probe; an open breaker only lengthens to the later end.
    public mutating func adoptOpen(until: ContinuousClock.Instant, reason: String, at now: ContinuousClock.Instant)
        -> Transition?
    {
        guard until > now else { return nil }
        switch self.state {
        case .halfOpen(probeInFlight: true):
            return nil
        case .open(let since, let end):
            if until > end { self.state = .open(since: since, until: until) }
            return nil
        case .closed, .halfOpen(probeInFlight: false):
            let from = self.state.name
            self.state = .open(since: now, until: until)
            self.openedAt = now
            return Transition(from: from, to: "open", reason: "adopted from the fleet: \(reason)")
        }
    }

    /// Another daemon's probe closed this breaker (shared state): an open one closes here too.
    public mutating func adoptClosed(reason: String) -> Transition? {
        guard case .open = self.state else { return nil }
        return self.reset(reason: "adopted from the fleet: \(reason)")
    }

    /// The current open interval: `openFor` doubled per consecutive trip, capped at `maxOpenFor`.
    public var currentOpenInterval: Duration {
        let factor = Double(1 << min(max(self.trips - 1, 0), 20))
        return min(self.configuration.openFor * factor, self.configuration.maxOpenFor)
    }

    private mutating func trip(at now: ContinuousClock.Instant, reason: String, from: String) -> Transition {
        self.trips += 1
        let until = now + self.currentOpenInterval
        self.state = .open(since: now, until: until)
        self.openedAt = now
        return Transition(from: from, to: "open", reason: "\(reason); open for \(DurationText.format(self.currentOpenInterval))")
    }
}
