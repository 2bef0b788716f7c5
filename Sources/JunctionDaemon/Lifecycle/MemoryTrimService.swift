import CMalloc
import JunctionCore
import Logging
import ServiceLifecycle

/// Returns the heap's free memory to the system once the daemon is idle after work (see `IdleTrim`): after a
/// burst, glibc keeps what was freed in its arenas, and the daemon's resident size stayed several times its
/// size at rest. Samples once a second; trims at most once per idle period.
struct MemoryTrimService: Service {
    let runtime: DaemonRuntime
    /// Requests dispatched so far: a change between two samples is work, however short the requests.
    let dispatchedCount: @Sendable () -> Int
    let logger: Logger
    var configuration = IdleTrim.Configuration()

    func run() async throws {
        var policy = IdleTrim(configuration: self.configuration)
        var dispatched = self.dispatchedCount()
        while !Task.isShuttingDownGracefully {
            let count = self.dispatchedCount()
            let busy = self.runtime.inflightCount > 0 || count != dispatched
            dispatched = count
            if policy.sampled(busy: busy, freeBytes: Self.freeHeapBytes, at: .now) {
                let before = Self.freeHeapBytes
                // Trims every arena, and gives back whole free pages inside them too (not only the top).
                malloc_trim(0)
                let after = Self.freeHeapBytes
                policy.trimmed(freeBytes: after)
                self.logger.debug(
                    "returned free heap memory to the system",
                    metadata: ["free_before_bytes": "\(before)", "free_after_bytes": "\(after)"]
                )
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            } catch {
                return
            }
        }
    }

    /// Free bytes held in the allocator's arenas (`mallinfo2().fordblks`, every arena).
    static var freeHeapBytes: Int {
        Int(mallinfo2().fordblks)
    }
}
