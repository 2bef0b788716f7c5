import JunctionCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// What a handler answers: a status, headers, and a body that is either whole (sent with `Content-Length`) or a
/// stream of chunks produced while the response is written (chunked; each write waits while the client is not
/// reading, so a slow reader holds the producer back instead of filling memory).
struct HTTPServerResponse: Sendable {
    /// The body: whole, or produced while it is written.
    enum Body: Sendable {
        /// Sent with `Content-Length`.
        case full(ByteBuffer)
        /// Runs once the head is sent; returns when the body is complete. A thrown error ends the response
        /// early and closes the connection (the client sees a truncated chunked body, never a clean end).
        case stream(@Sendable (HTTPBodyWriter) async throws -> Void)
    }

    var status: HTTPResponseStatus
    /// `Content-Length`, `Connection` and `Transfer-Encoding` are set by the server.
    var headers: HTTPHeaders
    var body: Body

    /// A response with `body`.
    init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: Body) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A whole body of `bytes` with the given content type. Operators' answers are never cached by proxies.
    static func bytes(_ status: HTTPResponseStatus, contentType: String, _ bytes: some Collection<UInt8>) -> Self {
        var headers: HTTPHeaders = ["content-type": contentType, "cache-control": "no-store"]
        headers.add(name: "x-content-type-options", value: "nosniff")
        return HTTPServerResponse(status: status, headers: headers, body: .full(ByteBuffer(bytes: bytes)))
    }

    /// A short text answer; a newline is added.
    static func text(_ status: HTTPResponseStatus, _ text: String) -> Self {
        .bytes(status, contentType: "text/plain; charset=utf-8", Array((text + "\n").utf8))
    }

    /// A JSON answer (compact).
    static func json(_ status: HTTPResponseStatus, _ value: JSONValue) -> Self {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(512)
        value.write(to: &bytes)  // compact, and no String in between
        return .bytes(status, contentType: "application/json", bytes)
    }

    /// A streamed answer (`text/event-stream` for SSE, say).
    static func stream(
        _ status: HTTPResponseStatus = .ok,
        contentType: String,
        _ produce: @escaping @Sendable (HTTPBodyWriter) async throws -> Void
    ) -> Self {
        HTTPServerResponse(
            status: status, headers: ["content-type": contentType, "cache-control": "no-store"],
            body: .stream(produce)
        )
    }
}

/// A failure a handler throws to answer with a given status and a short text body.
struct HTTPError: Error, Sendable, Equatable {
    var status: HTTPResponseStatus
    var message: String
    /// Extra response headers (`Allow`, `Retry-After`, ...).
    var headers: [(String, String)] = []

    static func == (lhs: HTTPError, rhs: HTTPError) -> Bool {
        lhs.status == rhs.status && lhs.message == rhs.message
            && lhs.headers.elementsEqual(rhs.headers) { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    /// The text response this failure is answered with.
    var response: HTTPServerResponse {
        var response = HTTPServerResponse.text(self.status, self.message)
        for (name, value) in self.headers { response.headers.replaceOrAdd(name: name, value: value) }
        return response
    }
}

/// Writes the chunks of a streamed body. The response head goes out with the first chunk (so a producer may
/// still answer with a whole response by throwing `HTTPReplacementResponse` before it); each write is flushed at
/// once (SSE events must not wait in a buffer) and suspends while the connection's outbound buffer is above its
/// high watermark.
struct HTTPBodyWriter: Sendable {
    /// The connection's writer.
    let outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    private let head: HeadGate

    /// A writer whose first write sends `head` first.
    init(outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, head: HTTPResponseHead) {
        self.outbound = outbound
        self.head = HeadGate(head)
    }

    /// Whether the head has been sent (a replacement response is too late then).
    var headSent: Bool { self.head.isSent }

    /// Adds a header before the head is sent (ignored after).
    func setHeader(_ name: String, _ value: String) {
        self.head.setHeader(name, value)
    }

    /// Writes one chunk; throws when the client went away.
    func write(_ buffer: ByteBuffer) async throws {
        guard buffer.readableBytes > 0 else { return }  // an empty chunk would end a chunked body
        if let head = self.head.take() {
            try await self.outbound.write(contentsOf: [.head(head), .body(.byteBuffer(buffer))])
        } else {
            try await self.outbound.write(.body(.byteBuffer(buffer)))
        }
    }

    /// Writes `text` (UTF-8) as one chunk.
    func write(_ text: String) async throws {
        try await self.write(ByteBuffer(string: text))
    }

    /// Sends the head now when nothing was written yet (an empty body).
    func sendHeadIfNeeded() async throws {
        if let head = self.head.take() { try await self.outbound.write(.head(head)) }
    }

    /// The head until it is taken for sending; writes of one response run in turn, the lock only guards the hand-off.
    private final class HeadGate: Sendable {
        private let state: NIOLockedValueBox<HTTPResponseHead?>

        init(_ head: HTTPResponseHead) { self.state = NIOLockedValueBox(head) }

        var isSent: Bool { self.state.withLockedValue { $0 == nil } }

        func setHeader(_ name: String, _ value: String) {
            self.state.withLockedValue { $0?.headers.replaceOrAdd(name: name, value: value) }
        }

        func take() -> HTTPResponseHead? {
            self.state.withLockedValue { head in
                defer { head = nil }
                return head
            }
        }
    }
}

/// Thrown by a stream's producer before its first write: the request is answered with `response` instead (an
/// API error with its own status, found before any content).
struct HTTPReplacementResponse: Error, Sendable {
    var response: HTTPServerResponse
}
