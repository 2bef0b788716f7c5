import Dispatch
import Foundation
import JunctionCore
import NIOConcurrencyHelpers

/// The daemon's one Redis connection, driven by one dedicated thread: callers queue operations from any thread;
/// the thread takes everything queued, pipelines it in one round trip, and answers each caller. No caller waits
/// past its deadline (`timeout`): a timer answers `.timeout` if Redis has not. Real errors and timeouts seen on
/// the connection feed the client's own circuit breaker (the providers' state machine): while it is open every
/// operation fails at once and the daemon runs on its local view; after the open interval one batch probes.
/// An operation that waited in the queue is never counted against Redis — only what Redis itself did.
public final class RedisClient: @unchecked Sendable {
    public typealias Completion = @Sendable (Result<RedisValue, RedisFailure>) -> Void

    private struct Operation {
        enum Body {
            case command([[UInt8]])
            case script(RedisScript, keys: [String], arguments: [String])
            /// One item of an item script (`RedisScript.itemWidth`), merged with the others of its round trip.
            case item(RedisScript, keys: [String], shared: [String], item: [String])
        }

        var body: Body
        var answer: Answer
    }

    /// What one round trip sends: a command, or a script call that answers one or (merged items) many callers.
    private struct Call {
        var command: [[UInt8]]
        var script: RedisScript?
        /// The script's arguments after its SHA (or source): key count, keys, arguments.
        var tail: [String]
        var answers: [Answer]
        /// An item script's call: the reply holds one entry per answer.
        var itemized: Bool
    }

    /// Items that may share a call: the same script, keys and shared arguments.
    private struct MergeKey: Hashable {
        var script: String
        var keys: [String]
        var shared: [String]
    }

    /// The most items one call carries: the script runs them all before Redis serves anything else.
    static let largestMerge = 256

    /// Under load — the last round trip carried at least `lingerAfter` operations — the thread waits up to
    /// `linger` for more before it sends, or until `lingerFor` are queued: fewer and fuller round trips, and more
    /// items per merged call, for a fraction of what a request already waits at that load. A lone operation (an
    /// idle daemon, concurrency 1) never waits.
    static let lingerAfter = 8
    static let lingerFor = 64
    static let linger: Duration = .microseconds(200)

    /// Resumed once: by the thread's reply or by the deadline timer, whichever comes first.
    final class Answer: Sendable {
        private let completion: NIOLockedValueBox<Completion?>

        init(_ completion: @escaping Completion) {
            self.completion = NIOLockedValueBox(completion)
        }

        var isDone: Bool { self.completion.withLockedValue { $0 == nil } }

        /// False when it was answered already.
        @discardableResult
        func answer(_ result: Result<RedisValue, RedisFailure>) -> Bool {
            let completion = self.completion.withLockedValue { completion in
                defer { completion = nil }
                return completion
            }
            completion?(result)
            return completion != nil
        }
    }

    private struct Counters {
        var breaker: CircuitBreaker
        var lastError: String?
        var outageSince: Int64?
        var pastOutages: Int64 = 0
        var connected = false
        /// Redis refused work it cannot do now (OOM, READONLY during a failover, LOADING): the state reads degraded
        /// until then, even while other commands (reads, PINGs) still succeed.
        var refusingUntil: ContinuousClock.Instant?
        var operations = 0
        /// Operations Redis answered (server errors included in `failures` instead).
        var succeeded = 0
        var failures = 0
        var timeouts = 0
        var batches = 0
        var largestBatch = 0
        /// Commands and script calls sent: fewer than operations once items are merged.
        var commands = 0
    }

    public let endpoint: RedisEndpoint
    public let timeout: Duration
    private let password: String?
    private let scripts: [RedisScript]
    private let wallClock: @Sendable () -> Int64
    /// Guards `pending` and `stopped`; the thread sleeps on it while the queue is empty.
    private let condition = NSCondition()
    private var pending: [Operation] = []
    private var stopped = false
    /// The thread waits for more operations before a round trip (`linger`): submitters wake it only once enough
    /// are queued.
    private var lingering = false
    private var thread: Thread?
    /// Signalled when the thread has ended.
    private let finished = DispatchSemaphore(value: 0)
    private let counters: NIOLockedValueBox<Counters>
    /// Answers `.timeout` to every operation Redis has not answered by its deadline.
    private let deadlines: DeadlineWatch
    /// Called on the client's thread after every (re)connection: the subscriber re-reads what it missed.
    private let onConnect = NIOLockedValueBox<(@Sendable () -> Void)?>(nil)

    /// The breaker of the connection: three consecutive failures open it for 250 ms, doubling to 5 s; a busy
    /// queue never counts.
    public static let breakerConfiguration = CircuitBreaker.Configuration(
        failureThreshold: 3, failureRate: 1.0, minRequests: .max, window: .seconds(10), openFor: .milliseconds(250),
        maxOpenFor: .seconds(5)
    )

    public init(
        endpoint: RedisEndpoint,
        password: String?,
        timeout: Duration,
        scripts: [RedisScript],
        wallClock: @escaping @Sendable () -> Int64
    ) {
        self.endpoint = endpoint
        self.password = password
        self.timeout = timeout
        self.scripts = scripts
        self.wallClock = wallClock
        let counters = NIOLockedValueBox(Counters(breaker: CircuitBreaker(configuration: Self.breakerConfiguration)))
        self.counters = counters
        self.deadlines = DeadlineWatch(tick: timeout / 4) { counters.withLockedValue { $0.timeouts += 1 } }
    }

    /// Starts the thread (from the daemon's service, never from an initialiser).
    public func start() {
        self.condition.lock()
        defer { self.condition.unlock() }
        guard self.thread == nil, !self.stopped else { return }
        let thread = Thread { [self] in self.serve() }
        thread.name = "junction-redis"
        self.thread = thread
        thread.start()
        self.deadlines.start()
    }

    /// Stops the thread once what is queued has been sent (settlements of the last requests must reach Redis);
    /// later operations fail with `.unavailable`. Waits for the thread, at most two timeouts.
    public func stop() {
        self.condition.lock()
        self.stopped = true
        let running = self.thread != nil
        self.condition.signal()
        self.condition.unlock()
        guard running else { return }
        // The deadline thread answers whatever the client thread has not (a sentinel lookup can outlast the wait);
        // it stops only once the client thread has ended.
        if self.finished.wait(timeout: .now() + .milliseconds(2 * RedisConnection.milliseconds(self.timeout) + 100))
            == .success
        {
            self.deadlines.stop()
        }
    }

    /// False while the breaker is open: callers may skip building an operation that would fail at once.
    public var isAvailable: Bool {
        self.counters.withLockedValue { counters in
            guard case .open(_, let until) = counters.breaker.state else { return true }
            return ContinuousClock.now >= until
        }
    }

    public func setOnConnect(_ handler: @escaping @Sendable () -> Void) {
        self.onConnect.withLockedValue { $0 = handler }
    }

    // MARK: - Operations

    /// Runs one command; answers within `timeout`.
    public func command(_ arguments: [String]) async -> Result<RedisValue, RedisFailure> {
        await self.awaiting { self.submit(.command(arguments.map { Array($0.utf8) }), completion: $0) }
    }

    /// Runs one command with binary arguments (cache values).
    public func command(bytes arguments: [[UInt8]]) async -> Result<RedisValue, RedisFailure> {
        await self.awaiting { self.submit(.command(arguments), completion: $0) }
    }

    /// Runs `script` atomically on the server; answers within `timeout`.
    public func evaluate(_ script: RedisScript, keys: [String], arguments: [String]) async
        -> Result<RedisValue, RedisFailure>
    {
        await self.awaiting { self.submit(.script(script, keys: keys, arguments: arguments), completion: $0) }
    }

    /// Decides one item of an item script (`RedisScript.itemWidth`): items queued for the same round trip with the
    /// same `keys` and `shared` arguments go to Redis as one call. The result is this item's entry of the reply.
    public func evaluate(_ script: RedisScript, keys: [String], shared: [String], item: [String]) async
        -> Result<RedisValue, RedisFailure>
    {
        await self.awaiting { self.submit(.item(script, keys: keys, shared: shared, item: item), completion: $0) }
    }

    /// Queues one item of an item script without waiting (see `evaluate(_:keys:shared:item:)`).
    public func evaluate(
        _ script: RedisScript,
        keys: [String],
        shared: [String],
        item: [String],
        completion: @escaping Completion
    ) {
        self.submit(.item(script, keys: keys, shared: shared, item: item), completion: completion)
    }

    /// Queues `script` without waiting; `completion` runs on the client's thread (or the timer's) with the result.
    public func evaluate(
        _ script: RedisScript,
        keys: [String],
        arguments: [String],
        completion: @escaping Completion
    ) {
        self.submit(.script(script, keys: keys, arguments: arguments), completion: completion)
    }

    /// Queues a command without waiting (a publication).
    public func command(_ arguments: [String], completion: @escaping Completion) {
        self.submit(.command(arguments.map { Array($0.utf8) }), completion: completion)
    }

    /// Queues a command with binary arguments without waiting (a cache entry).
    public func command(bytes arguments: [[UInt8]], completion: @escaping Completion) {
        self.submit(.command(arguments), completion: completion)
    }

    private func awaiting(
        _ submit: (@escaping Completion) -> Void
    ) async -> Result<RedisValue, RedisFailure> {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<RedisValue, RedisFailure>, Never>) in
            submit { continuation.resume(returning: $0) }
        }
    }

    private func submit(_ body: Operation.Body, completion: @escaping Completion) {
        let answer = Answer(completion)
        // Fails fast while the breaker is open: no queueing, no timer.
        let rejection: String? = self.counters.withLockedValue { counters in
            counters.operations += 1
            guard case .open(_, let until) = counters.breaker.state, ContinuousClock.now < until else { return nil }
            counters.failures += 1
            return "Redis breaker open (last error: \(counters.lastError ?? "none"))"
        }
        if let rejection {
            answer.answer(.failure(.unavailable(rejection)))
            return
        }
        self.condition.lock()
        if self.stopped {
            self.condition.unlock()
            answer.answer(.failure(.unavailable("the shared-state client is stopped")))
            return
        }
        self.pending.append(Operation(body: body, answer: answer))
        if !self.lingering || self.pending.count >= Self.lingerFor { self.condition.signal() }
        self.condition.unlock()
        self.deadlines.watch(answer, until: .now + self.timeout)
    }

    // MARK: - Health

    public var health: RedisHealth {
        let now = self.wallClock()
        return self.counters.withLockedValue { counters in
            let current = counters.outageSince.map { max(0, now - $0) } ?? 0
            let refusing = counters.refusingUntil.map { ContinuousClock.now < $0 } ?? false
            let degraded = !counters.connected || counters.breaker.state != .closed || refusing
            return RedisHealth(
                state: degraded ? .degradedLocal : .connected, endpoint: self.endpoint.description,
                lastError: counters.lastError, outageSince: counters.outageSince,
                outageMilliseconds: counters.pastOutages + current, operations: counters.operations,
                succeeded: counters.succeeded,
                failures: counters.failures, timeouts: counters.timeouts, batches: counters.batches,
                largestBatch: counters.largestBatch, commands: counters.commands, breaker: counters.breaker.state.name
            )
        }
    }

    // MARK: - The thread

    private func serve() {
        var connection: RedisConnection?
        // SHAs by script name (unique in `scripts`): hashing a source of kilobytes per call would cost more than
        // formatting the call.
        var shas: [String: String] = [:]
        var previousBatch = 0
        let linger = Double(Self.linger.components.attoseconds) / 1e18
        while true {
            self.condition.lock()
            while self.pending.isEmpty && !self.stopped { self.condition.wait() }
            if previousBatch >= Self.lingerAfter {
                self.lingering = true
                let until = Date(timeIntervalSinceNow: linger)
                while self.pending.count < Self.lingerFor && !self.stopped && self.condition.wait(until: until) {}
                self.lingering = false
            }
            if self.stopped && self.pending.isEmpty {
                self.condition.unlock()
                self.finished.signal()
                return
            }
            let batch = self.pending.filter { !$0.answer.isDone }
            self.pending = []
            self.condition.unlock()
            previousBatch = batch.count
            guard !batch.isEmpty else { continue }
            let admission = self.counters.withLockedValue { $0.breaker.admission(at: .now).0 }
            if case .reject = admission {
                let why = self.counters.withLockedValue { counters in
                    counters.failures += batch.count
                    return "Redis breaker open (last error: \(counters.lastError ?? "none"))"
                }
                for operation in batch { operation.answer.answer(.failure(.unavailable(why))) }
                continue
            }
            do {
                if connection == nil {
                    let made = try RedisConnection(
                        endpoint: self.endpoint, password: self.password, timeout: self.timeout
                    )
                    shas = try Self.load(self.scripts, on: made)
                    connection = made
                    self.onConnect.withLockedValue { $0 }?()
                }
                let calls = Self.calls(merging: batch)
                let replies = try Self.run(calls, on: connection!, shas: &shas)
                var serverError: String?
                var answered = 0
                var refused = 0
                var lastRefusal: String?
                for (call, reply) in zip(calls, replies) {
                    for (answer, entry) in Self.entries(of: reply, for: call) {
                        if case .error(let message) = entry {
                            // OOM, READONLY (a failover in progress), LOADING, MASTERDOWN: Redis cannot serve.
                            if Self.isUnavailable(message) { serverError = message }
                            if answer.answer(.failure(.server(message))) { refused += 1 }
                            lastRefusal = message
                        } else if answer.answer(.success(entry)) {
                            answered += 1
                        }
                    }
                }
                self.counters.withLockedValue { counters in
                    counters.succeeded += answered
                    counters.failures += refused
                    counters.commands += calls.count
                    // A refusal that is no outage (a script's error) still shows: it is a defect to report.
                    if refused > 0, serverError == nil, let message = lastRefusal { counters.lastError = message }
                }
                self.recorded(batch: batch.count, error: serverError, refusal: serverError != nil)
                // READONLY: this server was demoted (a failover): reconnect, which asks the sentinels again.
                if let serverError, serverError.hasPrefix("READONLY") || serverError.hasPrefix("MASTERDOWN") {
                    connection = nil
                }
            } catch {
                connection = nil
                self.recorded(batch: batch.count, error: error.description)
                let failure: RedisFailure = error.kind == .timeout ? .timeout : .connection(error)
                let failed = batch.filter { $0.answer.answer(.failure(failure)) }.count
                self.counters.withLockedValue { $0.failures += failed }
            }
        }
    }

    private static func isUnavailable(_ message: String) -> Bool {
        ["OOM", "READONLY", "LOADING", "MASTERDOWN", "BUSY", "TRYAGAIN", "CLUSTERDOWN"].contains {
            message.hasPrefix($0)
        }
    }

    private static func load(_ scripts: [RedisScript], on connection: RedisConnection) throws(RedisConnectionError)
        -> [String: String]
    {
        guard !scripts.isEmpty else { return [:] }
        let replies = try connection.pipeline(scripts.map { ["SCRIPT", "LOAD", $0.source].map { Array($0.utf8) } })
        var shas: [String: String] = [:]
        for (script, reply) in zip(scripts, replies) {
            if let sha = reply.text, !reply.isError { shas[script.name] = sha }
        }
        return shas
    }

    /// The batch as calls, in order: every item of an item script joins the first call of its script, keys and
    /// shared arguments (up to `largestMerge` items), so Redis runs that script once for all of them.
    private static func calls(merging batch: [Operation]) -> [Call] {
        var calls: [Call] = []
        calls.reserveCapacity(batch.count)
        var open: [MergeKey: Int] = [:]
        for operation in batch {
            switch operation.body {
            case .command(let arguments):
                calls.append(Call(command: arguments, script: nil, tail: [], answers: [operation.answer], itemized: false))
            case .script(let script, let keys, let arguments):
                calls.append(
                    Call(
                        command: [], script: script, tail: ["\(keys.count)"] + keys + arguments,
                        answers: [operation.answer], itemized: false
                    )
                )
            case .item(let script, let keys, let shared, let item):
                let key = MergeKey(script: script.name, keys: keys, shared: shared)
                if let index = open[key], calls[index].answers.count < Self.largestMerge {
                    calls[index].tail += item
                    calls[index].answers.append(operation.answer)
                } else {
                    open[key] = calls.count
                    calls.append(
                        Call(
                            command: [], script: script,
                            tail: ["\(keys.count)"] + keys + ["\(shared.count)"] + shared + item,
                            answers: [operation.answer], itemized: true
                        )
                    )
                }
            }
        }
        return calls
    }

    /// Each caller's reply: a merged call's array holds one entry per item, in order; an error (or a reply of the
    /// wrong shape, a script's defect) goes to every caller of the call.
    private static func entries(of reply: RedisValue, for call: Call) -> [(Answer, RedisValue)] {
        guard call.itemized, !reply.isError else { return call.answers.map { ($0, reply) } }
        guard case .array(let entries) = reply, entries.count == call.answers.count else {
            let name = call.script?.name ?? "script"
            return call.answers.map { ($0, .error("ERR \(name) answered \(call.answers.count) items with another shape")) }
        }
        return Array(zip(call.answers, entries))
    }

    /// One round trip for the calls; scripts the server does not know (NOSCRIPT) are sent again by source.
    private static func run(
        _ calls: [Call],
        on connection: RedisConnection,
        shas: inout [String: String]
    ) throws(RedisConnectionError) -> [RedisValue] {
        var replies = try connection.pipeline(calls.map { Self.arguments(of: $0, sha: $0.script.flatMap { shas[$0.name] }) })
        let missing = replies.indices.filter {
            if case .error(let message) = replies[$0], message.hasPrefix("NOSCRIPT") { true } else { false }
        }
        if !missing.isEmpty {
            let retried = try connection.pipeline(missing.map { Self.arguments(of: calls[$0], sha: nil) })
            for (index, reply) in zip(missing, retried) { replies[index] = reply }
            // Loaded again by EVAL: the SHA is valid again.
        }
        return replies
    }

    private static func arguments(of call: Call, sha: String?) -> [[UInt8]] {
        guard let script = call.script else { return call.command }
        let head = sha.map { ["EVALSHA", $0] } ?? ["EVAL", script.source]
        return (head + call.tail).map { Array($0.utf8) }
    }

    /// How long a refusal (OOM, READONLY, …) keeps the state degraded.
    static let refusalHold: Duration = .seconds(5)

    private func recorded(batch: Int, error: String?, refusal: Bool = false) {
        let now = self.wallClock()
        self.counters.withLockedValue { counters in
            counters.batches += 1
            counters.largestBatch = max(counters.largestBatch, batch)
            if let error {
                counters.lastError = error
                if refusal {
                    counters.refusingUntil = .now + Self.refusalHold
                } else {
                    counters.connected = false
                }
                if counters.outageSince == nil { counters.outageSince = now }
                _ = counters.breaker.requestFailed(at: .now, reason: error)
            } else {
                // The breaker learns every success (a half-open probe must close it); the outage ends only once no
                // refusal is recent.
                _ = counters.breaker.requestSucceeded(at: .now)
                counters.connected = true
                guard !(counters.refusingUntil.map { ContinuousClock.now < $0 } ?? false) else { return }
                counters.refusingUntil = nil
                if let since = counters.outageSince {
                    counters.pastOutages += max(0, now - since)
                    counters.outageSince = nil
                }
            }
        }
    }
}
