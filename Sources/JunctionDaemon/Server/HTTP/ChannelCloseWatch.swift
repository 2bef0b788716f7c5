import NIOConcurrencyHelpers
import NIOCore

/// Runs work that is cancelled the moment its channel closes: a client that hangs up while its request is being
/// answered stops the handler (and the upstream transfer behind it) within milliseconds, instead of the daemon
/// finding out at its next write.
enum ChannelCloseWatch {
    /// Runs `body`; cancels it when `channel` closes first. Returns or throws what `body` does.
    static func cancelling<T: Sendable>(
        when channel: any Channel, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                await Self.closed(channel)
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let value = next { return value }
                // The channel closed first: stop the work; its own result (usually a CancellationError) follows.
                group.cancelAll()
            }
            throw CancellationError()
        }
    }

    /// Returns when `channel` closes or the calling task is cancelled.
    static func closed(_ channel: any Channel) async {
        let signal = Signal()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                signal.install(continuation)
                channel.closeFuture.whenComplete { _ in signal.fire() }
            }
        } onCancel: {
            signal.fire()
        }
    }

    /// A continuation resumed once, by whichever comes first: the close or the cancellation.
    private final class Signal: Sendable {
        private enum State {
            case waiting
            case installed(CheckedContinuation<Void, Never>)
            case fired
        }

        private let state = NIOLockedValueBox(State.waiting)

        func install(_ continuation: CheckedContinuation<Void, Never>) {
            let resumeNow = self.state.withLockedValue { state -> Bool in
                if case .fired = state { return true }
                state = .installed(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }

        func fire() {
            let continuation = self.state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                defer { state = .fired }
                if case .installed(let continuation) = state { return continuation }
                return nil
            }
            continuation?.resume()
        }
    }
}
