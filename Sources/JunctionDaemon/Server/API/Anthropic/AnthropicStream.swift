import JunctionCore

/// Writes one streamed message as Anthropic's named SSE events: `message_start` and a `ping` with the first
/// content, a `content_block_start` / `content_block_delta`s / `content_block_stop` per block (thinking, then
/// text), `message_delta` with the stop reason and the whole usage, `message_stop`. A failure before any content
/// is a whole error response; after content, an `error` event and no `message_stop`, so no client takes the text
/// as complete.
struct AnthropicStream {
    private enum Block: Equatable {
        case thinking
        case text
    }

    let writer: HTTPBodyWriter
    private var id = "msg_"
    private var model = ""
    private var startedMessage = false
    private var sentContent = false
    private var openBlock: Block?
    private var sentText = false
    private var nextIndex = 0

    init(writer: HTTPBodyWriter) {
        self.writer = writer
    }

    mutating func run(_ items: AsyncStream<APIStreamItem>) async throws {
        for await item in items {
            switch item {
            case .started(let target, let requestID, let served):
                self.id = AnthropicEncoding.id(requestID)
                if !self.startedMessage { self.model = target.model }
                for (name, value) in APIGeneration.headers(target: target, requestID: requestID, served: served) {
                    self.writer.setHeader(name, value)
                }
            case .delta(let text):
                try await self.writer.write(self.content(.text, text))
            case .reasoning(let text):
                try await self.writer.write(self.content(.thinking, text))
            case .restart(let reason):
                // Nothing shown yet: the next attempt answers as if it were the first.
                guard self.sentContent else { continue }
                let failure = APIFailure(
                    status: .badGateway, category: .upstream,
                    message: "the answer broke off after it had started (\(reason)); the text received is incomplete",
                    code: "stream_interrupted"
                )
                try await self.writer.write(self.event("error", AnthropicEncoding.error(failure)))
                return
            case .finished(let result):
                try await self.finish(result)
                return
            case .failed(let failure):
                guard self.writer.headSent else {
                    throw HTTPReplacementResponse(response: AnthropicEncoding.errorResponse(failure))
                }
                try await self.writer.write(self.event("error", AnthropicEncoding.error(failure)))
                return
            }
        }
    }

    private mutating func finish(_ result: GenerateResult) async throws {
        if !self.writer.headSent {
            for (name, value) in APIGeneration.headers(for: result) { self.writer.setHeader(name, value) }
        }
        if !self.startedMessage {
            self.id = AnthropicEncoding.id(result.requestID)
            self.model = APIGeneration.model(of: result)
        }
        // An answer always has its text block, empty or not, as the whole message has.
        var text = self.sentText ? self.closeBlock() : self.content(.text, nil)
        text += self.closeBlock()
        let delta: JSONValue = [
            "type": "message_delta",
            "delta": [
                "stop_reason": .string(AnthropicEncoding.stopReason(result.completion)),
                "stop_sequence": AnthropicEncoding.stopSequence(result.completion),
            ],
            "usage": AnthropicEncoding.usage(result.usage),
        ]
        text += self.event("message_delta", delta)
        text += self.event("message_stop", ["type": "message_stop"])
        try await self.writer.write(text)
    }

    /// The events that put `piece` (nil: only open the block) into a block of `kind`: `message_start` first,
    /// then the block switch when the kind changes.
    private mutating func content(_ kind: Block, _ piece: String?) -> String {
        var text = ""
        if !self.startedMessage {
            self.startedMessage = true
            text += self.event(
                "message_start",
                ["type": "message_start", "message": AnthropicEncoding.startedMessage(id: self.id, model: self.model)]
            )
            text += self.event("ping", ["type": "ping"])
        }
        if self.openBlock != kind {
            text += self.closeBlock()
            let block: JSONValue =
                kind == .text ? ["type": "text", "text": ""] : ["type": "thinking", "thinking": "", "signature": ""]
            text += self.event(
                "content_block_start",
                ["type": "content_block_start", "index": .int(self.nextIndex), "content_block": block]
            )
            self.openBlock = kind
            if kind == .text { self.sentText = true }
        }
        if let piece {
            let delta: JSONValue =
                kind == .text
                ? ["type": "text_delta", "text": .string(piece)]
                : ["type": "thinking_delta", "thinking": .string(piece)]
            text += self.event(
                "content_block_delta",
                ["type": "content_block_delta", "index": .int(self.nextIndex), "delta": delta]
            )
            self.sentContent = true
        }
        return text
    }

    /// `content_block_stop` for the open block, if one is open.
    private mutating func closeBlock() -> String {
        guard self.openBlock != nil else { return "" }
        self.openBlock = nil
        let text = self.event("content_block_stop", ["type": "content_block_stop", "index": .int(self.nextIndex)])
        self.nextIndex += 1
        return text
    }

    private func event(_ name: String, _ value: JSONValue) -> String {
        "event: " + name + "\ndata: " + value.compactText + "\n\n"
    }
}
