import JunctionCore
import NIOHTTP1

/// Junction's answers in OpenAI's Chat Completions shapes: the completion object, the stream's chunks and the
/// error envelope, with OpenAI's key order.
enum OpenAIChatEncoding {
    /// `chat.completion` for a whole answer.
    static func completion(_ result: GenerateResult, created: Int64) -> JSONValue {
        let completion = result.completion
        var message: JSONObject = ["role": "assistant", "content": .string(completion.text), "refusal": .null]
        // DeepSeek's field for reasoning text, which OpenAI-compatible clients read.
        if let reasoning = completion.reasoning { message["reasoning_content"] = .string(reasoning) }
        return [
            "id": .string(self.id(result.requestID)),
            "object": "chat.completion",
            "created": .int(created),
            "model": .string(APIGeneration.model(of: result)),
            "choices": [
                [
                    "index": 0, "message": .object(message), "logprobs": .null,
                    "finish_reason": .string(self.finishReason(completion.finishReason)),
                ]
            ],
            "usage": self.usage(result.usage),
            "system_fingerprint": .null,
        ]
    }

    /// One `chat.completion.chunk` with `delta` (and `finish_reason`); `usage: null` when the stream reports usage.
    static func chunk(
        id: String, created: Int64, model: String, delta: JSONObject, finishReason: String? = nil, withUsage: Bool
    ) -> JSONValue {
        var object: JSONObject = [
            "id": .string(id), "object": "chat.completion.chunk", "created": .int(created), "model": .string(model),
            "system_fingerprint": .null,
            "choices": [
                [
                    "index": 0, "delta": .object(delta), "logprobs": .null,
                    "finish_reason": finishReason.map(JSONValue.string) ?? .null,
                ]
            ],
        ]
        if withUsage { object["usage"] = .null }
        return .object(object)
    }

    /// The usage chunk: `choices: []` and the request's usage.
    static func usageChunk(id: String, created: Int64, model: String, usage: Usage) -> JSONValue {
        [
            "id": .string(id), "object": "chat.completion.chunk", "created": .int(created), "model": .string(model),
            "system_fingerprint": .null, "choices": [], "usage": self.usage(usage),
        ]
    }

    static func usage(_ usage: Usage) -> JSONValue {
        [
            "prompt_tokens": .int(usage.promptTokens),
            "completion_tokens": .int(usage.completionTokens),
            "total_tokens": .int(usage.promptTokens + usage.completionTokens),
            "prompt_tokens_details": ["cached_tokens": .int(usage.cachedTokens)],
            "completion_tokens_details": ["reasoning_tokens": .int(usage.reasoningTokens)],
        ]
    }

    /// `chatcmpl-` and the daemon's request id (the ledger's key).
    static func id(_ requestID: String) -> String { "chatcmpl-" + requestID }

    static func finishReason(_ reason: FinishReason) -> String {
        switch reason {
        case .stop, .error: "stop"
        case .length: "length"
        case .contentFilter: "content_filter"
        case .toolCalls: "tool_calls"
        }
    }

    /// OpenAI's error envelope `{"error": {message, type, param, code}}`.
    static func error(_ failure: APIFailure) -> JSONValue {
        let type: String =
            switch failure.category {
            case .invalidRequest, .notFound: "invalid_request_error"
            case .authentication: "authentication_error"
            case .permission: "permission_error"
            case .budgetExhausted: "budget_exhausted"
            case .rateLimited: "rate_limit_error"
            case .timeout: "timeout"
            case .overloaded, .noProviderAvailable: "service_unavailable"
            case .upstream: "upstream_error"
            case .structuredOutputInvalid: "structured_output_invalid"
            case .internalError: "server_error"
            }
        let code: String? =
            switch failure.category {
            case .notFound: "model_not_found"
            case .rateLimited: "rate_limit_exceeded"
            case .authentication: "invalid_api_key"
            default: failure.code
            }
        return [
            "error": [
                "message": .string(failure.message), "type": .string(type),
                "param": failure.param.map(JSONValue.string) ?? .null, "code": code.map(JSONValue.string) ?? .null,
            ]
        ]
    }

    /// The whole error response, with `Retry-After` and the request id where known.
    static func errorResponse(_ failure: APIFailure) -> HTTPServerResponse {
        var response = HTTPServerResponse.json(failure.status, self.error(failure))
        for (name, value) in APIGeneration.headers(for: failure) { response.headers.replaceOrAdd(name: name, value: value) }
        return response
    }
}
