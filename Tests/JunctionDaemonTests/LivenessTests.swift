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
        // The loop is stuck until the test lets it go, or until a minute has passed: a check that waited on the
        // loop instead of its own 200 ms timeout would then see the loop answer and return true. No wall-clock
        // bound on the check itself: under CI load its timer may wake late, which is not what this test is about.
        let release = DispatchSemaphore(value: 0)
        loop.execute { _ = release.wait(timeout: .now() + .seconds(60)) }
        let answered = await RPCServer.loop(loop, answersWithin: .milliseconds(200))
        release.signal()
        #expect(!answered, "the check waited for the stuck loop instead of reporting it after its timeout")
        try await group.shutdownGracefully()
    }
}
