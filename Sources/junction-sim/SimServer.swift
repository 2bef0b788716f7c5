import JunctionCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// One connection of the simulator. Requests are parsed with NIOHTTP1; answers are written as raw bytes, so
/// that faults can break HTTP the way real servers and networks do (resets, endless headers, cut bodies).
final class SimConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    private let state: SimState
    private let defaultPace: Int
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var nextID = 0
    /// Pending scheduled writes of a stream in progress, cancelled when the connection goes away.
    private var scheduled: [Scheduled<Void>] = []
    private var streamSequence: Int?

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
                path: path, auth: auth
            ),
            fault: fault,
            context: context
        )
    }

    private struct SimCall {
        var format: SimFormat
        var dialect: SimFormat.Dialect
        var model: String
        var stream: Bool
        var maxTokens: Int?
        var prompt: Int
        var id: String
        var path: String
        var auth: String
    }

    private func answer(_ call: SimCall, fault: SimFault, context: ChannelHandlerContext) {
        func log(_ outcome: String) -> Int {
            self.state.log(
                method: "POST", path: call.path, format: call.format.rawValue, model: call.model, stream: call.stream,
                fault: fault, outcome: outcome, auth: call.auth
            )
        }
        if let (status, headers, body) = SimResponses.error(fault, format: call.format) {
            _ = log("\(status)")
            self.respond(context, status: status, json: body, headers: headers)
            return
        }
        switch fault {
        case .resetBeforeHeaders:
            _ = log("reset")
            // SO_LINGER 0 turns the close into a TCP reset.
            if let provider = context.channel as? SocketOptionProvider {
                let channel = context.channel
                _ = provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).always { _ in channel.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
            return
        case .hang:
            _ = log("hang")
            return
        case .headersForever:
            _ = log("headers_forever")
            self.write(context, "HTTP/1.1 200 OK\r\n")
            self.repeatWrite(context, every: .milliseconds(5)) { "x-filler: \(String(repeating: "a", count: 200))\r\n" }
            return
        case .contentFilter where call.format == .gemini:
            _ = log("blocked")
            self.respond(context, status: 200, json: ["promptFeedback": ["blockReason": "SAFETY"], "modelVersion": .string(call.model)])
            return
        default:
            break
        }
        let rateHeaders = SimResponses.rateLimitHeaders(call.format)
        guard call.stream else {
            let sequence = log("ok")
            let delay: Int
            if case .slowFirstToken(let milliseconds) = fault { delay = milliseconds } else { delay = 0 }
            let body = SimResponses.completion(
                call.format, dialect: call.dialect, model: call.model, id: call.id, prompt: call.prompt, maxTokens: call.maxTokens)
            if delay > 0 {
                self.streamSequence = sequence
                self.after(context, .milliseconds(Int64(delay))) {
                    self.streamSequence = nil
                    self.respond(context, status: 200, json: body, headers: rateHeaders)
                }
            } else {
                self.respond(context, status: 200, json: body, headers: rateHeaders)
            }
            return
        }

        var (events, tokenEvents) = SimResponses.stream(
            call.format, dialect: call.dialect, model: call.model, id: call.id, prompt: call.prompt, maxTokens: call.maxTokens,
            malformed: fault == .malformedEvent, sentinel: fault != .missingSentinel
        )
        var ending = "complete"
        switch fault {
        case .cut(let tokens), .stall(let tokens):
            let stop = tokens < tokenEvents.count ? tokenEvents[tokens] : events.count
            events = Array(events.prefix(stop))
            ending = fault == .cut(tokens: tokens) ? "cut" : "stall"
        case .flood:
            // Two real tokens, then text without end: no finish, no sentinel.
            events = Array(events.prefix(tokenEvents.count > 2 ? tokenEvents[2] : events.count))
            ending = "flood"
        default:
            break
        }
        let sequence = log(ending == "complete" ? "ok" : ending)
        self.streamSequence = sequence
        var head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n"
        for (name, value) in rateHeaders { head += "\(name): \(value)\r\n" }
        self.write(context, head + "\r\n")

        var pace = self.defaultPace
        if case .pace(let milliseconds) = fault { pace = milliseconds }
        var firstDelay = 0
        if case .slowFirstToken(let milliseconds) = fault { firstDelay = milliseconds }
        self.sendEvents(context, events: events[...], pace: pace, firstDelay: firstDelay) {
            switch ending {
            case "cut":
                self.streamSequence = nil
                context.close(promise: nil)
            case "stall":
                break  // keep the connection open, say nothing more
            case "flood":
                self.repeatWrite(context, every: .milliseconds(1)) {
                    self.chunk("data: {\"choices\":[{\"delta\":{\"content\":\"\(String(repeating: "flood ", count: 1000))\"}}]}\n\n")
                }
            default:
                self.streamSequence = nil
                self.write(context, "0\r\n\r\n")
            }
        }
    }

    private func sendEvents(
        _ context: ChannelHandlerContext,
        events: ArraySlice<String>,
        pace: Int,
        firstDelay: Int,
        then done: @escaping () -> Void
    ) {
        if pace == 0 && firstDelay == 0 {
            self.write(context, events.map { self.chunk($0) }.joined())
            done()
            return
        }
        guard let first = events.first else {
            done()
            return
        }
        let delay = firstDelay > 0 ? firstDelay : pace
        self.after(context, .milliseconds(Int64(delay))) {
            self.write(context, self.chunk(first))
            self.sendEvents(context, events: events.dropFirst(), pace: pace, firstDelay: 0, then: done)
        }
    }

    // MARK: Models and control

    private func models(path: String, head: HTTPRequestHead, context: ChannelHandlerContext) {
        let names = ["sim-model", "sim-large", "sim-small"]
        if path.hasPrefix("/v1beta") {
            self.respond(context, status: 200, json: ["models": .array(names.map { ["name": .string("models/\($0)")] })])
        } else if head.headers.contains(name: "anthropic-version") {
            self.respond(context, status: 200, json: ["data": .array(names.map { ["id": .string($0), "type": "model"] }), "has_more": false])
        } else {
            self.respond(context, status: 200, json: ["object": "list", "data": .array(names.map { ["id": .string($0), "object": "model"] })])
        }
        self.state.log(method: "GET", path: path, format: "models", model: "", stream: false, fault: .none, outcome: "ok")
    }

    private func control(path: String, method: HTTPMethod, json: JSONValue?, context: ChannelHandlerContext) {
        switch (method, path) {
        case (.GET, "/_sim/log"):
            self.respond(context, status: 200, json: self.state.logJSON)
        case (.POST, "/_sim/reset"):
            self.state.reset()
            self.respond(context, status: 200, json: ["reset": true])
        case (.POST, "/_sim/faults"):
            guard let model = json?["model"]?.stringValue else {
                self.respond(context, status: 400, json: ["error": "model is required"])
                return
            }
            if let spec = json?["fault"]?.stringValue {
                guard let rule = SimFaultRule.fromModel("sim-" + spec) else {
                    self.respond(context, status: 400, json: ["error": .string("unknown fault \(spec)")])
                    return
                }
                self.state.configure(model: model, rule: rule)
            } else {
                self.state.configure(model: model, rule: nil)
            }
            self.respond(context, status: 200, json: ["model": .string(model), "fault": json?["fault"] ?? .null])
        case (.GET, "/_sim/health"):
            self.respond(context, status: 200, json: ["ok": true])
        default:
            self.respond(context, status: 404, json: ["error": "unknown control endpoint"])
        }
    }

    // MARK: Writing

    private func respond(_ context: ChannelHandlerContext, status: Int, json: JSONValue, headers: [(String, String)] = []) {
        let body = json.serialized()
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        var buffer = context.channel.allocator.buffer(capacity: head.utf8.count + body.count)
        buffer.writeString(head)
        buffer.writeBytes(body)
        context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
    }

    private func chunk(_ text: String) -> String {
        "\(String(text.utf8.count, radix: 16))\r\n\(text)\r\n"
    }

    private func write(_ context: ChannelHandlerContext, _ text: String) {
        context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
    }

    private func after(_ context: ChannelHandlerContext, _ delay: TimeAmount, _ body: @escaping () -> Void) {
        let task = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: delay) { body() }
        self.scheduled.append(task)
        if self.scheduled.count > 64 { self.scheduled.removeFirst(32) }
    }

    private func repeatWrite(_ context: ChannelHandlerContext, every interval: TimeAmount, _ text: @escaping () -> String) {
        guard context.channel.isActive else { return }
        // Respect backpressure: write only while the client keeps up, else wait for it.
        if context.channel.isWritable { self.write(context, text()) }
        self.after(context, interval) { self.repeatWrite(context, every: interval, text) }
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 402: "Payment Required"
        case 404: "Not Found"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 529: "Overloaded"
        default: "Status"
        }
    }
}
