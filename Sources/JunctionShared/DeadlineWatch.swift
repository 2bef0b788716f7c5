import Foundation
import NIOConcurrencyHelpers

/// One thread that answers `.timeout` to the operations Redis has not answered by their deadline — instead of a
/// timer per operation, which cost a dispatch timer and a thread wake-up per Redis call. It checks every `tick`
/// (a quarter of `[shared] timeout`, so an operation is given up at most a quarter late) while operations are
/// outstanding, and sleeps while there are none: an idle daemon does not wake for it.
final class DeadlineWatch: @unchecked Sendable {
    private let tick: Duration
    private let timedOut: @Sendable () -> Void
    /// Guards `watched` and `stopped`.
    private let condition = NSCondition()
    private var watched: [(answer: RedisClient.Answer, deadline: ContinuousClock.Instant)] = []
    private var stopped = false

    init(tick: Duration, timedOut: @escaping @Sendable () -> Void) {
        self.tick = max(tick, .milliseconds(1))
        self.timedOut = timedOut
    }

    func start() {
        let thread = Thread { [self] in self.serve() }
        thread.name = "junction-redis-deadlines"
        thread.start()
    }

    func stop() {
        self.condition.lock()
        self.stopped = true
        self.condition.signal()
        self.condition.unlock()
    }

    func watch(_ answer: RedisClient.Answer, until deadline: ContinuousClock.Instant) {
        self.condition.lock()
        self.watched.append((answer, deadline))
        if self.watched.count == 1 { self.condition.signal() }
        self.condition.unlock()
    }

    private func serve() {
        let (seconds, attoseconds) = self.tick.components
        let interval = Double(seconds) + Double(attoseconds) / 1e18
        while true {
            self.condition.lock()
            while self.watched.isEmpty && !self.stopped { self.condition.wait() }
            if self.stopped {
                self.condition.unlock()
                return
            }
            self.condition.unlock()
            Thread.sleep(forTimeInterval: interval)
            let now = ContinuousClock.now
            self.condition.lock()
            var expired: [RedisClient.Answer] = []
            self.watched.removeAll { entry in
                if entry.answer.isDone { return true }
                guard entry.deadline <= now else { return false }
                expired.append(entry.answer)
                return true
            }
            self.condition.unlock()
            for answer in expired where answer.answer(.failure(.timeout)) { self.timedOut() }
        }
    }
}
