import Dispatch
import NIOCore
import NIOPosix
import Testing

@testable import JunctionDaemon

/// Issue 8, defect 11: the watchdog's liveness check reports a stuck event loop after its timeout instead of
/// waiting on the loop for ever (so the reason is logged before systemd acts).
@Suite("Liveness check")
struct LivenessTests {
    @Test func aStuckEventLoopIsReportedWithinTheTimeout() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        #expect(await RPCServer.loop(loop, answersWithin: .seconds(10)))
        // The loop is stuck until the test lets it go.
        let release = DispatchSemaphore(value: 0)
        loop.execute { release.wait() }
        let started = ContinuousClock.now
        let answered = await RPCServer.loop(loop, answersWithin: .milliseconds(200))
        let took = ContinuousClock.now - started
        release.signal()
        #expect(!answered)
        #expect(took < .seconds(5), "the check waited \(took) on a stuck loop")
        try await group.shutdownGracefully()
    }
}
