#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Daemon-unique request ids, `r<start>-<n>`: the daemon's start time in Unix milliseconds (base 36) and a counter,
/// so that ids stay unique across restarts too (the ledger's key), short, and sortable within one run.
final class RequestIDs: Sendable {
    private let prefix: String
    private let counter = Atomic<Int>(0)

    init(startedAtUnixMilliseconds: Int64 = WallClock.nowMilliseconds()) {
        self.prefix = "r" + String(startedAtUnixMilliseconds, radix: 36) + "-"
    }

    func next() -> String {
        let number = self.counter.wrappingAdd(1, ordering: .relaxed).newValue
        return self.prefix + String(number, radix: 36)
    }
}

/// Wall-clock time in Unix milliseconds: what the ledger and the budgets' calendar periods are dated by.
enum WallClock {
    static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
