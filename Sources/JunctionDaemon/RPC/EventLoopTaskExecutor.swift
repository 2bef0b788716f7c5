import NIOCore

/// Runs Swift tasks on a NIO event loop.
///
/// A connection's requests prefer the event loop that owns the connection: reading a request, running its
/// handler and writing its answer then happen on one thread, and the only thread hops left on the hot path are
/// the two to and from the libcurl thread. Handlers must not block: anything slow is awaited, not waited on.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
