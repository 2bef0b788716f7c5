/// When an HTTP connection's timer runs and when it closes, as a pure state machine: the events are what the
/// connection's handler sees pass (request parts in, response parts out, drain, writability), the answers what
/// it should do. No clock of its own: durations are armed by the caller's event loop.
///
/// - Waiting for a request (none outstanding): the idle timer runs; it expires, the connection closes.
/// - Reading a request: each part re-arms it, so a request that stops arriving closes too (slow headers/bodies).
/// - Answering: no timer while the response is written, unless the client stops reading (the channel turns
///   unwritable): then the idle timer runs until it reads again.
/// - A response that closes the connection (`Connection: close`, an error, draining): after its end the output
///   is shut and the linger timer runs, so that the client reads the answer before the socket goes (closing at
///   once with its unread request in our buffer would reset the connection and could lose the answer).
struct HTTPConnectionPhase: Sendable, Equatable {
    /// What the handler does next.
    enum Action: Sendable, Equatable {
        case none
        /// (Re)start the timer.
        case arm(Duration)
        /// Stop the timer.
        case disarm
        /// Shut the output side, then arm the timer (closing when it fires or the client hangs up).
        case shutOutputAndArm(Duration)
        case close
    }

    /// See `HTTPServerSettings.idleTimeout`.
    let idleTimeout: Duration
    /// See `HTTPServerSettings.lingerTimeout`.
    let lingerTimeout: Duration
    /// A request's head arrived, its end not yet.
    private(set) var reading = false
    /// Requests received in full whose responses have not ended.
    private(set) var outstanding = 0
    /// The current response closes the connection.
    private(set) var closing = false
    private(set) var draining = false
    /// The output is shut: only the linger timer or the client's hang-up is awaited.
    private(set) var lingering = false

    /// A connection just accepted.
    init(idleTimeout: Duration, lingerTimeout: Duration) {
        self.idleTimeout = idleTimeout
        self.lingerTimeout = lingerTimeout
    }

    private var busy: Bool { self.outstanding > 0 }

    /// The connection is open: wait for a request.
    mutating func connected() -> Action { .arm(self.idleTimeout) }

    /// A request's head arrived.
    mutating func requestHeadReceived() -> Action {
        guard !self.lingering else { return .none }
        self.reading = true
        return self.busy ? .none : .arm(self.idleTimeout)
    }

    /// A part of a request's body arrived.
    mutating func requestBodyReceived() -> Action {
        guard !self.lingering, self.reading, !self.busy else { return .none }
        return .arm(self.idleTimeout)
    }

    /// A request arrived in full: it is answered now.
    mutating func requestEndReceived() -> Action {
        guard !self.lingering else { return .none }
        self.reading = false
        self.outstanding += 1
        return .disarm
    }

    /// A final (not 1xx) response head went out; `closes`: it says `Connection: close`. Returns whether the
    /// head must say so (it does not, but the connection is draining).
    mutating func responseHeadSent(closes: Bool) -> Bool {
        self.closing = self.closing || closes || self.draining
        return self.draining && !closes
    }

    /// A response's end was written.
    mutating func responseEndSent() -> Action {
        self.outstanding = max(0, self.outstanding - 1)
        if self.closing {
            guard !self.lingering else { return .none }
            self.lingering = true
            return .shutOutputAndArm(self.lingerTimeout)
        }
        if self.draining, !self.busy, !self.reading { return .close }
        return self.busy ? .none : .arm(self.idleTimeout)
    }

    /// The server drains: an idle connection closes now; one with a request in progress after its response.
    mutating func drainStarted() -> Action {
        self.draining = true
        if self.lingering { return .none }
        return self.busy || self.reading ? .none : .close
    }

    /// The client stopped (or resumed) reading what is written.
    mutating func writabilityChanged(writable: Bool) -> Action {
        guard self.busy, !self.lingering else { return .none }
        return writable ? .disarm : .arm(self.idleTimeout)
    }

    /// The armed timer ran out.
    mutating func timerFired() -> Action { .close }
}
