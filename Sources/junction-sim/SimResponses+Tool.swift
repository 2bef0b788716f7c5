import JunctionCore

/// Anthropic answers to a forced tool (`tool_choice: {type: "tool", name}`): a `tool_use` block whose `input` is
/// the answer, as Claude calls the tool it was told to.
extension SimResponses {
    /// The answer as a tool input: the JSON object it holds, or nil when it is not one (the simulator then
    /// answers with a text block, as a misbehaving model would).
    static func toolInput(_ answer: String?) -> JSONValue? {
        let text = answer ?? SimAnswer.tokens.joined()
        guard let input = try? JSONValue.parse(text, maxDepth: 64), case .object = input else { return nil }
        return input
    }

    static func anthropicToolCompletion(
        model: String, id: String, prompt: Int, tool: String, input: JSONValue, usage set: SimUsage?
    ) -> JSONValue {
        let pieces = SimAnswer.split(input.compactText)
        return [
            "id": .string(id), "type": "message", "role": "assistant", "model": .string(model),
            "content": [["type": "tool_use", "id": .string("toolu_\(id)"), "name": .string(tool), "input": input]],
            "stop_reason": "tool_use", "stop_sequence": .null,
            "usage": set?.anthropicInput(outputTokens: set?.completion ?? 0)
                ?? ["input_tokens": .int(prompt), "output_tokens": .int(pieces.count)],
        ]
    }

    /// `content_block_start` of type `tool_use`, the input's compact JSON in `input_json_delta.partial_json`
    /// pieces (cut short, with `max_tokens`, past `maxTokens` pieces), then `content_block_stop` and the
    /// `tool_use` stop. `tokenEvents` index the pieces, for cutting and stalling.
    static func anthropicToolStream(
        model: String, id: String, prompt: Int, maxTokens: Int?, tool: String, input: JSONValue, sentinel: Bool,
        usage set: SimUsage?
    ) -> (events: [String], tokenEvents: [Int]) {
        let (pieces, finish) = SimAnswer.plan(maxTokens: maxTokens, text: input.compactText)
        func named(_ name: String, _ json: JSONValue) -> String { "event: \(name)\ndata: \(json.compactText)\n\n" }
        var events: [String] = []
        var tokenEvents: [Int] = []
        let message: JSONValue = [
            "id": .string(id), "type": "message", "role": "assistant", "model": .string(model), "content": [],
            "stop_reason": .null,
            "usage": set?.anthropicInput(outputTokens: 1) ?? ["input_tokens": .int(prompt), "output_tokens": 1],
        ]
        events.append(named("message_start", ["type": "message_start", "message": message]))
        let block: JSONValue = ["type": "tool_use", "id": .string("toolu_\(id)"), "name": .string(tool), "input": [:]]
        events.append(named("content_block_start", ["type": "content_block_start", "index": 0, "content_block": block]))
        for piece in pieces {
            tokenEvents.append(events.count)
            let delta: JSONValue = ["type": "input_json_delta", "partial_json": .string(piece)]
            events.append(named("content_block_delta", ["type": "content_block_delta", "index": 0, "delta": delta]))
        }
        events.append(named("content_block_stop", ["type": "content_block_stop", "index": 0]))
        let stop: JSONValue = finish == "length" ? "max_tokens" : "tool_use"
        events.append(
            named(
                "message_delta",
                [
                    "type": "message_delta", "delta": ["stop_reason": stop, "stop_sequence": .null],
                    "usage": ["output_tokens": .int(set?.completion ?? pieces.count)],
                ]
            )
        )
        if sentinel { events.append(named("message_stop", ["type": "message_stop"])) }
        return (events, tokenEvents)
    }
}
