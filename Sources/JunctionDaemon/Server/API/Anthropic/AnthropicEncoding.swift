import JunctionCore
import NIOHTTP1

/// Junction's answers in Anthropic's Messages shapes: the message object, the stream's events and the error
/// envelope, with Anthropic's key order.
enum AnthropicEncoding {
    /// The `message` object of a whole answer: a thinking block when the answer has reasoning, then the text.
    static func message(_ result: GenerateResult) -> JSONValue {
        let completion = result.completion
        var content: [JSONValue] = []
        if let reasoning = completion.reasoning, !reasoning.isEmpty {
            content.append(["type": "thinking", "thinking": .string(reasoning), "signature": ""])
        }
        content.append(["type": "text", "text": .string(completion.text)])
        return [
            "id": .string(self.id(result.requestID)),
            "type": "message",
            "role": "assistant",
            "model": .string(APIGeneration.model(of: result)),
            "content": .array(content),
            "stop_reason": .string(self.stopReason(completion)),
            "stop_sequence": self.stopSequence(completion),
            "usage": self.usage(result.usage),
        ]
    }

    /// The message as `message_start` announces it: no content yet, usage to come in `message_delta`.
    static func startedMessage(id: String, model: String) -> JSONValue {
        [
            "id": .string(id), "type": "message", "role": "assistant", "model": .string(model), "content": [],
            "stop_reason": .null, "stop_sequence": .null,
            "usage": [
                "input_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 0,
            ],
        ]
    }

    /// Anthropic's usage: `input_tokens` are the uncached ones; cache writes and reads are counted apart.
    static func usage(_ usage: Usage) -> JSONValue {
        [
            "input_tokens": .int(max(0, usage.promptTokens - usage.cachedTokens - usage.cacheWriteTokens)),
            "cache_creation_input_tokens": .int(usage.cacheWriteTokens),
            "cache_read_input_tokens": .int(usage.cachedTokens),
            "output_tokens": .int(usage.completionTokens),
        ]
    }

    /// `msg_` and the daemon's request id (the ledger's key).
    static func id(_ requestID: String) -> String { "msg_" + requestID }

    /// `stop_sequence` when the provider named the stop sequence that ended the answer, else from the finish.
    static func stopReason(_ completion: Completion) -> String {
        completion.finishReason == .stop && completion.stopSequence != nil
            ? "stop_sequence" : self.stopReason(completion.finishReason)
    }

    /// The stop sequence that ended the answer, or null.
    static func stopSequence(_ completion: Completion) -> JSONValue {
        guard completion.finishReason == .stop, let sequence = completion.stopSequence else { return .null }
        return .string(sequence)
    }

    static func stopReason(_ reason: FinishReason) -> String {
        switch reason {
        case .stop, .error: "end_turn"
        case .length: "max_tokens"
        case .contentFilter: "refusal"
        case .toolCalls: "tool_use"
        }
    }

    /// The `type` of Anthropic's error object for `failure`.
    static func errorType(_ failure: APIFailure) -> String {
        switch failure.category {
        case .invalidRequest: "invalid_request_error"
        case .notFound: "not_found_error"
        case .authentication: "authentication_error"
        case .permission: "permission_error"
        // Anthropic's own type for a 429; the message names the budget.
        case .budgetExhausted, .rateLimited: "rate_limit_error"
        case .timeout: "timeout_error"
        case .overloaded, .noProviderAvailable: "overloaded_error"
        // The provider's own refusal keeps its status; its type follows from it.
        case .upstream:
            switch failure.status.code {
            case 400, 409, 422: "invalid_request_error"
            case 404: "not_found_error"
            case 413: "request_too_large"
            case 503: "overloaded_error"
            default: "api_error"
            }
        case .structuredOutputInvalid, .internalError: "api_error"
        }
    }

    /// Anthropic's error envelope `{"type": "error", "error": {type, message}}`; a budget refusal's message
    /// names the budget.
    static func error(_ failure: APIFailure) -> JSONValue {
        var message = failure.message
        if failure.category == .budgetExhausted, let budget = failure.code, !message.contains(budget) {
            message = "budget \(budget): " + message
        }
        return ["type": "error", "error": ["type": .string(self.errorType(failure)), "message": .string(message)]]
    }

    /// The whole error response, with `Retry-After` and the request id where known.
    static func errorResponse(_ failure: APIFailure) -> HTTPServerResponse {
        var response = HTTPServerResponse.json(failure.status, self.error(failure))
        for (name, value) in APIGeneration.headers(for: failure) {
            response.headers.replaceOrAdd(name: name, value: value)
        }
        return response
    }
}
