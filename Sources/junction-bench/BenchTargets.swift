import JunctionCore
import JunctionProviders
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Requests to junctiond over its socket: pipelined on shared connections, matched by id.
final class DaemonTarget: BenchTarget, @unchecked Sendable {
    private let channels: [Channel]
    private let handlers: [ResponseMatcher]
    private let model: String
    private let prompt: String
    private let stream: Bool
    private let temperature: Double?
    private let uniquePrompts: Bool

    init(
        socket: String,
        connections: Int,
        model: String,
        prompt: String,
        stream: Bool,
        temperature: Double? = nil,
        uniquePrompts: Bool = false
    ) async throws {
        self.temperature = temperature
        self.uniquePrompts = uniquePrompts
        var channels: [Channel] = []
        var handlers: [ResponseMatcher] = []
        for _ in 0..<connections {
            let handler = ResponseMatcher()
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(NewlineDecoder()))
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }
                .connect(unixDomainSocketPath: socket)
                .get()
            channels.append(channel)
            handlers.append(handler)
        }
        self.channels = channels
        self.handlers = handlers
        self.model = model
        self.prompt = prompt
        self.stream = stream
    }

    func send(id: Int) async -> BenchOutcome {
        let index = id % self.channels.count
        // A unique prompt per request makes every cacheable request a miss (the cache's overhead without its gain).
        var params: JSONObject = ["prompt": .string(self.uniquePrompts ? "\(self.prompt) \(id)" : self.prompt)]
        if self.model != "default" { params["model"] = .string(self.model) }
        if self.stream { params["stream"] = true }
        if let temperature = self.temperature { params["temperature"] = .double(temperature) }
        let request: JSONValue = ["jsonrpc": "2.0", "method": "generate", "params": .object(params), "id": .int(id)]
        var bytes = request.serialized()
        bytes.append(0x0A)
        let started = ContinuousClock.now
        let answer = await self.handlers[index].expect(id: id, started: started) {
            let channel = self.channels[index]
            channel.writeAndFlush(channel.allocator.buffer(bytes: bytes), promise: nil)
        }
        return answer
    }

    func close() {
        for channel in self.channels { channel.close(promise: nil) }
    }
}

/// Splits the stream into lines.
struct NewlineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: 0x0A) else { return .needMoreData }
        let line = buffer.readSlice(length: newline - buffer.readerIndex)!
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(Self.wrapInboundOut(line))
        return .continue
    }
}

/// Resolves waiting requests by id; notes the first delta of streams.
final class ResponseMatcher: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    private struct Waiter {
        var continuation: CheckedContinuation<BenchOutcome, Never>
        var started: ContinuousClock.Instant
        var firstDelta: Duration?
    }

    private let lock = NIOLock()
    private var waiters: [Int: Waiter] = [:]

    /// The connection closed: nothing sent on it will be answered.
    private var inactive = false

    func expect(id: Int, started: ContinuousClock.Instant, send: () -> Void) async -> BenchOutcome {
        await withCheckedContinuation { continuation in
            let open = self.lock.withLock { () -> Bool in
                guard !self.inactive else { return false }
                self.waiters[id] = Waiter(continuation: continuation, started: started)
                return true
            }
            // A request on a closed connection would wait for ever: it fails at once instead.
            guard open else { return continuation.resume(returning: BenchOutcome(errorCode: Self.disconnected)) }
            send()
        }
    }

    static let disconnected = "disconnected"

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = self.unwrapInboundIn(data)
        guard let message = line.withUnsafeReadableBytes({ try? JSONValue.parse($0, maxDepth: 64) }) else { return }
        if let method = message["method"]?.stringValue {
            if method == "generate.delta", let id = message["params"]?["request"]?.intValue {
                self.lock.withLock {
                    if self.waiters[id]?.firstDelta == nil, let started = self.waiters[id]?.started {
                        self.waiters[id]?.firstDelta = ContinuousClock.now - started
                    }
                }
            }
            return
        }
        guard let id = message["id"]?.intValue, let waiter = self.lock.withLock({ self.waiters.removeValue(forKey: id) }) else { return }
        let code = message["error"]?["code"]?.intValue.map { "\($0)" }
        waiter.continuation.resume(returning: BenchOutcome(errorCode: code, firstDelta: waiter.firstDelta))
    }

    func channelInactive(context: ChannelHandlerContext) {
        let waiters = self.lock.withLock { () -> [Waiter] in
            self.inactive = true
            defer { self.waiters.removeAll() }
            return Array(self.waiters.values)
        }
        for waiter in waiters { waiter.continuation.resume(returning: BenchOutcome(errorCode: Self.disconnected)) }
    }
}

/// The same request, straight to an OpenAI-compatible upstream through libcurl.
final class DirectTarget: BenchTarget, @unchecked Sendable {
    private let transport = Transport()
    private let request: HTTPRequest

    init(baseURL: String, model: String, prompt: String, stream: Bool) {
        var body: JSONObject = ["model": .string(model), "messages": [["role": "user", "content": .string(prompt)]]]
        if stream {
            body["stream"] = true
            body["stream_options"] = ["include_usage": true]
        }
        self.request = HTTPRequest(
            url: (baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL) + "/chat/completions",
            headers: [("Content-Type", "application/json")],
            body: JSONValue.object(body).serialized(),
            streamsBody: stream
        )
        self.transport.start()
    }

    func send(id: Int) async -> BenchOutcome {
        let started = ContinuousClock.now
        var firstDelta: Duration?
        do {
            var status = 0
            for try await part in self.transport.execute(self.request) {
                switch part {
                case .head(let head): status = head.status
                case .body:
                    if firstDelta == nil { firstDelta = ContinuousClock.now - started }
                }
            }
            return BenchOutcome(errorCode: (200..<300).contains(status) ? nil : "http \(status)", firstDelta: firstDelta)
        } catch {
            return BenchOutcome(errorCode: "transport")
        }
    }

    func close() {
        self.transport.shutdown()
    }
}
