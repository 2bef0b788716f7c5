import NIOConcurrencyHelpers
import NIOCore

/// Cancels a connection's current request the moment the connection closes: a client that hangs up while its
/// request is being answered stops the handler (and the upstream transfer behind it) within milliseconds, instead
/// of the daemon finding out at its next write. One per connection, so that a keep-alive connection's requests do
/// not each leave a callback on the channel until it closes.
final class ChannelCloseWatch: Sendable {
    private struct State {
        var closed = false
        /// The current request's waiter (requests on one connection run one at a time).
        var waiter: Signal?
    }

    private let state = NIOLockedValueBox(State())

    /// Watches `channel`; its close wakes whichever request is waiting then.
    init(_ channel: any Channel) {
        channel.closeFuture.whenComplete { [state] _ in
            let waiter = state.withLockedValue { state -> Signal? in
                state.closed = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.fire()
        }
    }

    /// Runs `body`; cancels it when the connection closes first. Returns or throws what `body` does.
    func cancelling<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                await self.closed()
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let value = next { return value }
                // The connection closed first: stop the work; its own result (usually a CancellationError) follows.
                group.cancelAll()
            }
            throw CancellationError()
        }
    }

    /// Returns when the connection closes or the calling task is cancelled.
    private func closed() async {
        let signal = Signal()
        let closed = self.state.withLockedValue { state -> Bool in
            if !state.closed { state.waiter = signal }
            return state.closed
        }
        if closed { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                signal.install(continuation)
            }
        } onCancel: {
            signal.fire()
        }
        self.state.withLockedValue { state in
            if state.waiter === signal { state.waiter = nil }
        }
    }

    /// A continuation resumed once, by whichever comes first: the close or the cancellation.
    private final class Signal: Sendable {
        private enum Phase {
            case waiting
            case installed(CheckedContinuation<Void, Never>)
            case fired
        }

        private let phase = NIOLockedValueBox(Phase.waiting)

        func install(_ continuation: CheckedContinuation<Void, Never>) {
            let resumeNow = self.phase.withLockedValue { phase -> Bool in
                if case .fired = phase { return true }
                phase = .installed(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }

        func fire() {
            let continuation = self.phase.withLockedValue { phase -> CheckedContinuation<Void, Never>? in
                defer { phase = .fired }
                if case .installed(let continuation) = phase { return continuation }
                return nil
            }
            continuation?.resume()
        }
    }
}
