import Foundation
import JunctionCore
import NIOConcurrencyHelpers

/// A SUBSCRIBE connection on a thread of its own: every message on `channel` goes to `handler`, in order. A
/// PING after every quiet half second keeps the connection proven; on any failure it reconnects with backoff
/// (100 ms doubling to 5 s) and calls `resubscribed`, so that the caller re-reads what it may have missed
/// meanwhile.
public final class RedisSubscriber: @unchecked Sendable {
    private let endpoint: RedisEndpoint
    private let password: String?
    private let channel: String
    private let handler: @Sendable ([UInt8]) -> Void
    private let resubscribed: @Sendable () -> Void
    private let stopped = NIOLockedValueBox(false)
    private let subscribed = NIOLockedValueBox(false)

    public init(
        endpoint: RedisEndpoint,
        password: String?,
        channel: String,
        handler: @escaping @Sendable ([UInt8]) -> Void,
        resubscribed: @escaping @Sendable () -> Void
    ) {
        self.endpoint = endpoint
        self.password = password
        self.channel = channel
        self.handler = handler
        self.resubscribed = resubscribed
    }

    /// Whether the subscription is live now.
    public var isSubscribed: Bool { self.subscribed.withLockedValue { $0 } }

    public func start() {
        let thread = Thread { [self] in self.serve() }
        thread.name = "junction-redis-sub"
        thread.start()
    }

    /// The thread ends within half a second (its poll interval).
    public func stop() {
        self.stopped.withLockedValue { $0 = true }
    }

    private func serve() {
        var backoff = 0.1
        while !self.stopped.withLockedValue({ $0 }) {
            do {
                let connection = try RedisConnection(
                    endpoint: self.endpoint, password: self.password, timeout: .seconds(1)
                )
                try connection.send(["SUBSCRIBE", self.channel].map { Array($0.utf8) })
                _ = try connection.readReply()  // the subscription's confirmation
                self.subscribed.withLockedValue { $0 = true }
                backoff = 0.1
                self.resubscribed()
                // A PING after every quiet half second proves the connection; three unanswered ones end it.
                var unanswered = 0
                while !self.stopped.withLockedValue({ $0 }) {
                    while let message = try connection.bufferedReply() {
                        unanswered = 0
                        guard let parts = message.array, parts.count == 3, parts[0].text == "message",
                            case .string(let payload) = parts[2]
                        else { continue }
                        self.handler(payload)
                    }
                    if try !connection.receive(within: 500) {
                        guard unanswered < 3 else {
                            throw RedisConnectionError(.timeout, "no answer to three PINGs")
                        }
                        try connection.send([Array("PING".utf8)])
                        unanswered += 1
                    }
                }
            } catch {
                self.subscribed.withLockedValue { $0 = false }
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(backoff * 2, 5)
            }
        }
        self.subscribed.withLockedValue { $0 = false }
    }
}
