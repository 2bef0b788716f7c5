import JunctionCore
import JunctionProviders
import NIOConcurrencyHelpers

/// An in-process stand-in for the libcurl transport: answers requests from scripted replies, keyed by a URL
/// prefix, and records every request it was sent. Time passes on a `ManualClock`: a reply's latency advances it,
/// and a reply slower than the request's overall clock fails with `deadline` as the real transport would.
public final class FakeHTTPExecutor: HTTPExecutor {
    /// One scripted answer.
    public struct Reply: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var chunks: [[UInt8]]
        /// Until the response head.
        public var latency: Duration
        /// Between body chunks.
        public var chunkInterval: Duration
        /// Thrown after the chunks (a cut stream, a reset), or instead of any answer when there are none.
        public var failure: TransportError?

        public init(
            status: Int = 200,
            headers: [String: String] = [:],
            chunks: [[UInt8]] = [],
            latency: Duration = .milliseconds(10),
            chunkInterval: Duration = .zero,
            failure: TransportError? = nil
        ) {
            self.status = status
            self.headers = headers
            self.chunks = chunks
            self.latency = latency
            self.chunkInterval = chunkInterval
            self.failure = failure
        }

        /// A JSON body in one chunk.
        public static func json(
            _ status: Int,
            _ body: String,
            headers: [String: String] = [:],
            latency: Duration = .milliseconds(10)
        ) -> Reply {
            var headers = headers
            headers["content-type"] = "application/json"
            return Reply(status: status, headers: headers, chunks: [Array(body.utf8)], latency: latency)
        }

        /// A server-sent-event stream, one chunk per event; `failure` cuts it after the events.
        public static func events(
            _ events: [String],
            latency: Duration = .milliseconds(10),
            interval: Duration = .milliseconds(1),
            failure: TransportError? = nil
        ) -> Reply {
            Reply(
                status: 200, headers: ["content-type": "text/event-stream"],
                chunks: events.map { Array("data: \($0)\n\n".utf8) }, latency: latency, chunkInterval: interval,
                failure: failure
            )
        }

        /// No answer at all: the connection fails after `latency`.
        public static func failing(
            _ failure: TransportFailure,
            _ detail: String,
            latency: Duration = .milliseconds(5)
        ) -> Reply {
            Reply(status: 0, latency: latency, failure: TransportError(failure, detail))
        }
    }

    private struct State {
        var scripts: [(prefix: String, replies: [Reply])] = []
        var sent: [HTTPRequest] = []
    }

    private let clock: ManualClock
    private let state = NIOLockedValueBox(State())

    public init(clock: ManualClock) {
        self.clock = clock
    }

    /// Requests to URLs starting with `prefix` get `replies` in order; the last one repeats.
    public func on(_ prefix: String, _ replies: Reply...) {
        self.state.withLockedValue { $0.scripts.append((prefix, replies)) }
    }

    /// From now on requests to URLs starting with `prefix` get `replies` (earlier scripts for it are dropped).
    public func replace(_ prefix: String, _ replies: Reply...) {
        self.state.withLockedValue { state in
            state.scripts.removeAll { $0.prefix == prefix }
            state.scripts.append((prefix, replies))
        }
    }

    /// Every request sent, in order.
    public var sent: [HTTPRequest] { self.state.withLockedValue { $0.sent } }

    /// How many requests went to URLs starting with `prefix`.
    public func count(_ prefix: String) -> Int {
        self.sent.filter { $0.url.hasPrefix(prefix) }.count
    }

    public func send(_ request: HTTPRequest) -> HTTPResponse {
        let reply = self.state.withLockedValue { state -> Reply in
            state.sent.append(request)
            guard let index = state.scripts.firstIndex(where: { request.url.hasPrefix($0.prefix) }) else {
                return Reply.failing(.connectRefused, "no scripted reply for \(request.url)")
            }
            let replies = state.scripts[index].replies
            if replies.count > 1 { state.scripts[index].replies.removeFirst() }
            return replies[0]
        }
        let source = FakeResponseSource(reply: reply, overall: request.timeouts.overall, clock: self.clock)
        return HTTPResponse(source: source)
    }
}

/// Plays one scripted reply, spending its latencies on the manual clock against the request's overall clock.
final class FakeResponseSource: HTTPResponseSource {
    private struct State {
        var position = -1
        var elapsed: Duration = .zero
        var done = false
    }

    private let reply: FakeHTTPExecutor.Reply
    private let overall: Duration
    private let clock: ManualClock
    private let state = NIOLockedValueBox(State())

    init(reply: FakeHTTPExecutor.Reply, overall: Duration, clock: ManualClock) {
        self.reply = reply
        self.overall = overall
        self.clock = clock
    }

    func markFirstToken() {}

    func next() async throws -> HTTPResponseStream.Element? {
        try Task.checkCancellation()
        let step = self.state.withLockedValue { state -> Result<HTTPResponseStream.Element?, TransportError> in
            if state.done { return .success(nil) }
            let spend = state.position < 0 ? self.reply.latency : self.reply.chunkInterval
            if state.elapsed + spend > self.overall {
                state.done = true
                self.clock.advance(by: self.overall - state.elapsed)
                return .failure(TransportError(.deadline, "the request's deadline passed"))
            }
            state.elapsed += spend
            self.clock.advance(by: spend)
            defer { state.position += 1 }
            if state.position < 0 {
                if self.reply.status == 0, let failure = self.reply.failure {
                    state.done = true
                    return .failure(failure)
                }
                return .success(.head(HTTPResponseHead(status: self.reply.status, headers: self.reply.headers)))
            }
            if state.position < self.reply.chunks.count { return .success(.body(self.reply.chunks[state.position])) }
            state.done = true
            if let failure = self.reply.failure { return .failure(failure) }
            return .success(nil)
        }
        await Task.yield()
        return try step.get()
    }
}
