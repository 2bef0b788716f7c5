import NIOConcurrencyHelpers
import NIOCore

/// Cancels a connection's current request the moment the connection closes: a client that hangs up while its
/// request is being answered stops the handler (and the upstream transfer behind it) within milliseconds, instead
/// of the daemon finding out at its next write. One per connection, so that a keep-alive connection's requests do
/// not each leave a callback on the channel until it closes.
final class ChannelCloseWatch: Sendable {
    private struct State {
        var closed = false
        /// The task answering the current request (requests on one connection run one at a time), while it does.
        var answering: AnsweringTask?
    }

    /// The connection's task while it answers a request. An `UnsafeCurrentTask` does not keep its task alive; this
    /// one is set before `cancelling` awaits its body and cleared before it returns, with the task still running
    /// that very call, and it is cancelled only under the same lock, so it never outlives its task.
    private struct AnsweringTask: @unchecked Sendable {
        let task: UnsafeCurrentTask
    }

    private let state = NIOLockedValueBox(State())

    /// Watches `channel`; its close cancels whichever request is being answered then.
    init(_ channel: any Channel) {
        channel.closeFuture.whenComplete { [state] _ in
            // Cancelled under the lock: that is what keeps the task alive while it is cancelled (its cancellation
            // handlers run here, on this thread; none of them comes back to this watch).
            state.withLockedValue { state in
                state.closed = true
                state.answering?.task.cancel()
                state.answering = nil
            }
        }
    }

    /// Runs `body` in the calling task, which is cancelled if the connection closes before `body` returns (a
    /// connection closed already cancels it at once). Returns or throws what `body` does. No task is created:
    /// this runs for every request.
    func cancelling<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        withUnsafeCurrentTask { task in
            guard let task else { return }
            self.state.withLockedValue { state in
                if state.closed { task.cancel() } else { state.answering = AnsweringTask(task: task) }
            }
        }
        defer { self.state.withLockedValue { $0.answering = nil } }
        return try await body()
    }
}
