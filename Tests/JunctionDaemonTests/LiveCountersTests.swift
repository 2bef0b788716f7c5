import NIOConcurrencyHelpers
import Testing

@testable import JunctionDaemon

/// Found while measuring memory after a burst (issue 8, defect 8): every read of the live counters wrapped the
/// stored closure in two more reabstraction thunks and wrote it back, so the n-th `daemon.status` (and the memory
/// trimmer's once-a-second sample) ran n nested calls deep: megabytes of thread stack after a burst, more time per
/// call, and in the end a stack overflow.
@Suite("Live counters")
struct LiveCountersTests {
    @Test func readingTheCountersDoesNotDeepenTheirCall() {
        let runtime = DaemonRuntime(
            loaded: LoadedConfig(config: DaemonConfig(), path: nil, warnings: []),
            socketPath: "/tmp/x",
            socketActivated: false,
            watchdogInterval: nil,
            logSink: .stderr
        )
        // Where the closure's frame is on the stack, on each call.
        let depths = NIOLockedValueBox<[UInt]>([])
        runtime.attachCounters {
            var marker = 0
            let address = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
            depths.withLockedValue { $0.append(address) }
            return LiveCounters(connections: 1, inflight: 2, eventSubscribers: 3)
        }
        for _ in 0..<2_000 {
            #expect(runtime.connectionCount == 1)
            _ = runtime.inflightCount
            _ = runtime.eventSubscriberCount
        }
        let recorded = depths.withLockedValue { $0 }
        #expect(recorded.count == 6_000)
        let first = recorded.first ?? 0
        let last = recorded.last ?? 0
        // The same caller, so the same depth: with the defect, 6,000 reads put the last frame over 100 KB deeper.
        #expect(first >= last && first - last < 4096, "the closure ran \(Int(first) - Int(last)) bytes deeper")
    }
}
