import JunctionCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// One connection of the simulator. Requests are parsed with NIOHTTP1; answers are written as raw bytes, so
/// that faults can break HTTP the way real servers and networks do (resets, endless headers, cut bodies).
final class SimConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    let state: SimState
    let defaultPace: Int
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var nextID = 0
    /// Pending scheduled writes of a stream in progress, cancelled when the connection goes away.
    var scheduled: [Scheduled<Void>] = []
    var streamSequence: Int?

    init(state: SimState, defaultPace: Int) {
        self.state = state
        self.defaultPace = defaultPace
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body.clear()
        case .body(var chunk):
            self.body.writeBuffer(&chunk)
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            self.handle(head, body: self.body, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        for task in self.scheduled { task.cancel() }
        self.scheduled.removeAll()
        if let sequence = self.streamSequence {
            self.state.finish(sequence, outcome: "client_gone")
            self.streamSequence = nil
        }
        context.fireChannelInactive()
    }

    // MARK: Routing

    /// The credential headers of a request, as a proxy that echoes them would print them.
    static func credentials(_ headers: HTTPHeaders) -> String {
        ["authorization", "x-api-key", "x-goog-api-key"]
            .flatMap { name in headers[name].map { "\(name): \($0)" } }
            .joined(separator: "; ")
    }

    private func handle(_ head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        let uri = head.uri
        let path = String(uri.prefix { $0 != "?" })
        let json = body.readableBytes > 0 ? try? JSONValue.parse(Array(body.readableBytesView), maxDepth: 128) : nil

        if path.hasPrefix("/_sim/") {
            self.control(path: path, method: head.method, json: json, context: context)
            return
        }
        if head.method == .GET, path.hasSuffix("/models") {
            self.models(path: path, head: head, context: context)
            return
        }
        let format: SimFormat
        var model = json?["model"]?.stringValue ?? ""
        var stream = json?["stream"] == true
        var dialect = SimFormat.Dialect.standard
        if path.hasSuffix("/chat/completions") {
            format = .openai
            if path.contains("compatible-mode") { dialect = .dashscope }
            if model.contains("deepseek") { dialect = .deepseek }
        } else if path.hasSuffix("/v1/messages/count_tokens") {
            self.state.log(method: "POST", path: path, format: "anthropic", model: model, stream: false, fault: .none, outcome: "ok")
            self.respond(context, status: 200, json: ["input_tokens": .int(SimAnswer.promptTokens(json?["messages"]))])
            return
        } else if path.hasSuffix("/v1/messages") {
            format = .anthropic
        } else if let colon = path.lastIndex(of: ":"), path.contains("/models/") {
            format = .gemini
            let action = path[path.index(after: colon)...]
            let start = path.firstRange(of: "/models/")!.upperBound
            model = String(path[start..<colon])
            if action == "countTokens" {
                self.state.log(method: "POST", path: path, format: "gemini", model: model, stream: false, fault: .none, outcome: "ok")
                self.respond(context, status: 200, json: ["totalTokens": .int(SimAnswer.promptTokens(json?["contents"] ?? json))])
                return
            }
            stream = action == "streamGenerateContent"
        } else {
            self.respond(context, status: 404, json: ["error": ["message": .string("no such endpoint: \(path)")]])
            return
        }
        let maxTokens =
            json?["max_tokens"]?.intValue ?? json?["max_completion_tokens"]?.intValue
            ?? json?["generationConfig"]?["maxOutputTokens"]?.intValue
        let prompt = SimAnswer.promptTokens(json?["messages"] ?? json?["contents"])
        let fault = self.state.fault(forModel: model)
        self.nextID += 1
        let id = "sim-\(ObjectIdentifier(self).hashValue & 0xFFFF)-\(self.nextID)"
        let auth =
            head.headers["authorization"].first.map { $0.hasPrefix("Bearer ") ? "bearer" : "other" }
            ?? (head.headers.contains(name: "x-api-key") ? "x-api-key" : nil)
            ?? (head.headers.contains(name: "x-goog-api-key") ? "x-goog-api-key" : "none")
        self.answer(
            SimCall(
                format: format, dialect: dialect, model: model, stream: stream, maxTokens: maxTokens, prompt: prompt, id: id,
                path: path, auth: auth, credentials: Self.credentials(head.headers),
                structured: SimStructured.inspect(format, body: json),
                stop: format == .anthropic
                    ? (json?["stop_sequences"]?.arrayValue ?? []).compactMap(\.stringValue) : []
            ),
            fault: fault,
            context: context
        )
    }

    struct SimCall {
        var format: SimFormat
        var dialect: SimFormat.Dialect
        var model: String
        var stream: Bool
        var maxTokens: Int?
        var prompt: Int
        var id: String
        var path: String
        var auth: String
        /// The credential headers as received (for the `echo` fault).
        var credentials: String
        var structured: SimStructured
        /// Anthropic's `stop_sequences`: the answer ends before the first one it contains.
        var stop: [String]
    }
}
