import JunctionCore
import NIOCore
import NIOHTTP1
import NIOPosix

extension SimConnectionHandler {
    /// Answers one provider call, applying its fault.
    func answer(_ call: SimCall, fault: SimFault, context: ChannelHandlerContext) {
        func log(_ outcome: String) -> Int {
            self.state.log(
                method: "POST", path: call.path, format: call.format.rawValue, model: call.model, stream: call.stream,
                fault: fault, outcome: outcome, auth: call.auth, structured: call.structured
            )
        }
        if case .echoCredentials = fault {
            _ = log("400")
            self.respond(context, status: 400, json: SimResponses.echo(call.credentials, format: call.format), headers: [])
            return
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
        // Only an answer that gets a body takes the next text set with /_sim/answers.
        let text = self.state.nextAnswer(forModel: call.model)
        let usage = self.state.usage(forModel: call.model)
        let tool = call.format == .anthropic ? call.structured.forcedTool : nil
        let toolInput = tool != nil ? SimResponses.toolInput(text) : nil
        guard call.stream else {
            let sequence = log("ok")
            let delay: Int
            if case .slowFirstToken(let milliseconds) = fault { delay = milliseconds } else { delay = 0 }
            let body: JSONValue
            if let tool, let toolInput {
                body = SimResponses.anthropicToolCompletion(
                    model: call.model, id: call.id, prompt: call.prompt, tool: tool, input: toolInput, usage: usage
                )
            } else {
                body = SimResponses.completion(
                    call.format, dialect: call.dialect, model: call.model, id: call.id, prompt: call.prompt,
                    maxTokens: call.maxTokens, usage: usage, text: text, stop: call.stop
                )
            }
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

        var (events, tokenEvents) =
            if let tool, let toolInput {
                SimResponses.anthropicToolStream(
                    model: call.model, id: call.id, prompt: call.prompt, maxTokens: call.maxTokens, tool: tool,
                    input: toolInput, sentinel: fault != .missingSentinel, usage: usage
                )
            } else {
                SimResponses.stream(
                    call.format, dialect: call.dialect, model: call.model, id: call.id, prompt: call.prompt,
                    maxTokens: call.maxTokens, malformed: fault == .malformedEvent, sentinel: fault != .missingSentinel,
                    usage: usage, text: text, stop: call.stop
                )
            }
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

    func sendEvents(
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
}
