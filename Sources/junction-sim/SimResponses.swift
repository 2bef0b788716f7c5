#if canImport(Glibc)
import Glibc
#endif
import JunctionCore

/// The wire formats the simulator speaks.
enum SimFormat: String, Sendable {
    case openai
    case anthropic
    case gemini

    /// Variants of the OpenAI format that real servers show.
    enum Dialect: Sendable {
        case standard
        /// DashScope compatible mode: `data:` without a space, `"finish_reason": "null"` until the end.
        case dashscope
        /// DeepSeek: `: keep-alive` comments, `prompt_cache_hit_tokens`.
        case deepseek
    }
}

/// The deterministic answer: the same tokens every time, so tests can assert on text and usage.
enum SimAnswer {
    static let tokens = [
        "Hello", " from", " junction", "-sim", ",", " the", " provider", " simulator", ".", " All", " good", ".",
    ]

    /// The tokens to send and the finish reason, given the request's max tokens. `text`, an answer set with
    /// `POST /_sim/answers`, replaces the built-in one.
    /// The answer up to the first of `stop` it contains (Anthropic's `stop_sequences`), and that sequence.
    static func cut(_ text: String?, at stop: [String]) -> (text: String?, sequence: String?) {
        guard !stop.isEmpty else { return (text, nil) }
        let whole = text ?? self.tokens.joined()
        let hits = stop.filter { !$0.isEmpty }.compactMap { sequence in
            whole.firstRange(of: sequence).map { (sequence, $0.lowerBound) }
        }
        guard let first = hits.min(by: { $0.1 < $1.1 }) else { return (text, nil) }
        return (String(whole[..<first.1]), first.0)
    }

    /// Anthropic's `stop_reason` for a finish of `plan` (or `stop_sequence`).
    static func anthropicStopReason(_ finish: String) -> JSONValue {
        switch finish {
        case "length": "max_tokens"
        case "stop_sequence": "stop_sequence"
        default: "end_turn"
        }
    }

    static func plan(maxTokens: Int?, text: String? = nil) -> (tokens: [String], finish: String) {
        let all = text.map(Self.split) ?? self.tokens
        guard let maxTokens, maxTokens < all.count else { return (all, "stop") }
        return (Array(all.prefix(max(maxTokens, 0))), "length")
    }

    /// A set answer in token-sized pieces, as a model streams it: a new piece at each space, and none longer
    /// than four characters (so that compact JSON streams in several deltas too).
    static func split(_ text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        for character in text {
            if !current.isEmpty, character == " " || current.count == 4 {
                pieces.append(current)
                current = ""
            }
            current.append(character)
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    static func promptTokens(_ body: JSONValue?) -> Int {
        max(1, (body?.compactText.utf8.count ?? 4) / 4)
    }
}

/// Bodies and headers of every answer, per format.
enum SimResponses {
    static func now() -> Int { Int(time(nil)) }

    static func rateLimitHeaders(_ format: SimFormat) -> [(String, String)] {
        switch format {
        case .openai:
            [
                ("x-ratelimit-limit-requests", "10000"), ("x-ratelimit-remaining-requests", "9999"),
                ("x-ratelimit-reset-requests", "6ms"), ("x-ratelimit-limit-tokens", "2000000"),
                ("x-ratelimit-remaining-tokens", "1999000"), ("x-ratelimit-reset-tokens", "30ms"),
            ]
        case .anthropic:
            [
                ("anthropic-ratelimit-requests-limit", "4000"), ("anthropic-ratelimit-requests-remaining", "3999"),
                ("anthropic-ratelimit-requests-reset", self.rfc3339(secondsFromNow: 1)),
                ("anthropic-ratelimit-tokens-limit", "400000"), ("anthropic-ratelimit-tokens-remaining", "399000"),
                ("anthropic-ratelimit-tokens-reset", self.rfc3339(secondsFromNow: 1)),
            ]
        case .gemini: []
        }
    }

    static func rfc3339(secondsFromNow: Int) -> String {
        var seconds = time(nil) + secondsFromNow
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    // MARK: Non-streamed answers

    /// `usage`, when set for the model, replaces the simulator's own counts.
    static func completion(
        _ format: SimFormat, dialect: SimFormat.Dialect, model: String, id: String, prompt: Int, maxTokens: Int?,
        usage set: SimUsage? = nil, text answer: String? = nil, stop: [String] = []
    ) -> JSONValue {
        let (cut, sequence) = SimAnswer.cut(answer, at: stop)
        var (tokens, finish) = SimAnswer.plan(maxTokens: maxTokens, text: cut)
        if sequence != nil, finish == "stop" { finish = "stop_sequence" }
        let stopSequence: JSONValue = finish == "stop_sequence" ? sequence.map(JSONValue.string) ?? .null : .null
        let text = tokens.joined()
        switch format {
        case .openai:
            var usage: JSONObject = [
                "prompt_tokens": .int(prompt), "completion_tokens": .int(tokens.count), "total_tokens": .int(prompt + tokens.count),
            ]
            if dialect == .deepseek { usage["prompt_cache_hit_tokens"] = 0 }
            if let set, case .object(let native) = set.openAI(dialect) { usage = native }
            return [
                "id": .string(id), "object": "chat.completion", "created": .int(self.now()), "model": .string(model),
                "choices": [["index": 0, "message": ["role": "assistant", "content": .string(text)], "finish_reason": .string(finish)]],
                "usage": .object(usage),
            ]
        case .anthropic:
            return [
                "id": .string(id), "type": "message", "role": "assistant", "model": .string(model),
                "content": [["type": "text", "text": .string(text)]],
                "stop_reason": SimAnswer.anthropicStopReason(finish), "stop_sequence": stopSequence,
                "usage": set?.anthropicInput(outputTokens: set?.completion ?? 0)
                    ?? ["input_tokens": .int(prompt), "output_tokens": .int(tokens.count)],
            ]
        case .gemini:
            return [
                "candidates": [
                    [
                        "content": ["parts": [["text": .string(text)]], "role": "model"],
                        "finishReason": .string(finish == "length" ? "MAX_TOKENS" : "STOP"), "index": 0,
                    ]
                ],
                "usageMetadata": set?.gemini ?? [
                    "promptTokenCount": .int(prompt), "candidatesTokenCount": .int(tokens.count),
                    "totalTokenCount": .int(prompt + tokens.count),
                ],
                "modelVersion": .string(model), "responseId": .string(id),
            ]
        }
    }

    // MARK: Streams

    /// The stream's events in order: each is the exact bytes of one SSE event (or comment). `tokenEvents` are
    /// the indexes at which a token was sent, for cutting and stalling after N tokens.
    static func stream(
        _ format: SimFormat,
        dialect: SimFormat.Dialect,
        model: String,
        id: String,
        prompt: Int,
        maxTokens: Int?,
        malformed: Bool,
        sentinel: Bool,
        usage set: SimUsage? = nil,
        text answer: String? = nil,
        stop: [String] = []
    ) -> (events: [String], tokenEvents: [Int]) {
        let (cut, sequence) = SimAnswer.cut(answer, at: stop)
        var (tokens, finish) = SimAnswer.plan(maxTokens: maxTokens, text: cut)
        if sequence != nil, finish == "stop" { finish = "stop_sequence" }
        let stopSequence: JSONValue = finish == "stop_sequence" ? sequence.map(JSONValue.string) ?? .null : .null
        var events: [String] = []
        var tokenEvents: [Int] = []
        let dataPrefix = dialect == .dashscope ? "data:" : "data: "
        func data(_ json: JSONValue) -> String { "\(dataPrefix)\(json.compactText)\n\n" }
        func named(_ name: String, _ json: JSONValue) -> String { "event: \(name)\ndata: \(json.compactText)\n\n" }
        let malformedAt = tokens.count / 2

        switch format {
        case .openai:
            if dialect == .deepseek { events.append(": keep-alive\n\n") }
            let nullFinish: JSONValue = dialect == .dashscope ? "null" : .null
            func chunk(_ delta: JSONValue, finish: JSONValue) -> JSONValue {
                [
                    "id": .string(id), "object": "chat.completion.chunk", "created": .int(self.now()), "model": .string(model),
                    "choices": [["index": 0, "delta": delta, "finish_reason": finish]],
                ]
            }
            events.append(data(chunk(["role": "assistant", "content": ""], finish: nullFinish)))
            for (index, token) in tokens.enumerated() {
                if malformed && index == malformedAt { events.append("\(dataPrefix){\"id\": \"broken\n\n") }
                tokenEvents.append(events.count)
                events.append(data(chunk(["content": .string(token)], finish: nullFinish)))
            }
            events.append(data(chunk([:], finish: .string(finish))))
            var usage: JSONObject = [
                "prompt_tokens": .int(prompt), "completion_tokens": .int(tokens.count), "total_tokens": .int(prompt + tokens.count),
            ]
            if dialect == .deepseek { usage["prompt_cache_hit_tokens"] = 0 }
            if let set, case .object(let native) = set.openAI(dialect) { usage = native }
            events.append(
                data(["id": .string(id), "object": "chat.completion.chunk", "model": .string(model), "choices": [], "usage": .object(usage)])
            )
            if sentinel { events.append("\(dataPrefix)[DONE]\n\n") }
        case .anthropic:
            events.append(
                named(
                    "message_start",
                    [
                        "type": "message_start",
                        "message": [
                            "id": .string(id), "type": "message", "role": "assistant", "model": .string(model), "content": [],
                            "stop_reason": .null,
                            "usage": set?.anthropicInput(outputTokens: 1)
                                ?? ["input_tokens": .int(prompt), "output_tokens": 1],
                        ],
                    ]
                )
            )
            events.append(named("content_block_start", ["type": "content_block_start", "index": 0, "content_block": ["type": "text", "text": ""]]))
            events.append(named("ping", ["type": "ping"]))
            for (index, token) in tokens.enumerated() {
                if malformed && index == malformedAt { events.append("event: content_block_delta\ndata: {\"type\": \"content_blo\n\n") }
                tokenEvents.append(events.count)
                events.append(
                    named("content_block_delta", ["type": "content_block_delta", "index": 0, "delta": ["type": "text_delta", "text": .string(token)]])
                )
            }
            events.append(named("content_block_stop", ["type": "content_block_stop", "index": 0]))
            events.append(
                named(
                    "message_delta",
                    [
                        "type": "message_delta",
                        "delta": ["stop_reason": SimAnswer.anthropicStopReason(finish), "stop_sequence": stopSequence],
                        "usage": ["output_tokens": .int(set?.completion ?? tokens.count)],
                    ]
                )
            )
            if sentinel { events.append(named("message_stop", ["type": "message_stop"])) }
        case .gemini:
            for (index, token) in tokens.enumerated() {
                if malformed && index == malformedAt { events.append("data: {\"candidates\": [\n\n") }
                tokenEvents.append(events.count)
                var candidate: JSONObject = ["content": ["parts": [["text": .string(token)]], "role": "model"], "index": 0]
                var chunk: JSONObject = ["modelVersion": .string(model), "responseId": .string(id)]
                if index == tokens.count - 1 {
                    candidate["finishReason"] = .string(finish == "length" ? "MAX_TOKENS" : "STOP")
                    chunk["usageMetadata"] = set?.gemini ?? [
                        "promptTokenCount": .int(prompt), "candidatesTokenCount": .int(tokens.count),
                        "totalTokenCount": .int(prompt + tokens.count),
                    ]
                }
                chunk["candidates"] = [.object(candidate)]
                events.append(data(.object(chunk)))
            }
            if tokens.isEmpty {
                let reason: JSONValue = finish == "length" ? "MAX_TOKENS" : "STOP"
                let candidate: JSONValue = ["content": ["parts": [], "role": "model"], "finishReason": reason]
                events.append(data(["candidates": [candidate], "modelVersion": .string(model)]))
            }
        }
        return (events, tokenEvents)
    }

    // MARK: Errors

    /// Gemini's 429 body for an exhausted quota: the same message for every window, the window in the details.
    static func geminiQuotaFailure(quotaID: String, limit: String, retryDelay: Double) -> JSONValue {
        let delay = retryDelay == retryDelay.rounded() ? "\(Int(retryDelay))s" : "\(retryDelay)s"
        let violation: JSONValue = [
            "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
            "quotaId": .string(quotaID),
            "quotaDimensions": ["location": "global", "model": "gemini-2.5-flash"],
            "quotaValue": .string(limit),
        ]
        let details: [JSONValue] = [
            ["@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [violation]],
            [
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [["description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"]],
            ],
            ["@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": .string(delay)],
        ]
        let message = "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
        return ["error": ["code": 429, "message": .string(message), "status": "RESOURCE_EXHAUSTED", "details": .array(details)]]
    }

    /// Status, extra headers and body of an error answer in the format's own shape.
    /// A 400 in the provider's format whose message repeats the request's credential headers.
    static func echo(_ credentials: String, format: SimFormat) -> JSONValue {
        let message = "Invalid request. Headers received: \(credentials)"
        switch format {
        case .openai: return ["error": ["message": .string(message), "type": "invalid_request_error", "code": .null]]
        case .anthropic:
            return ["type": "error", "error": ["type": "invalid_request_error", "message": .string(message)]]
        case .gemini: return ["error": ["code": 400, "message": .string(message), "status": "INVALID_ARGUMENT"]]
        }
    }

    static func error(_ fault: SimFault, format: SimFormat) -> (status: Int, headers: [(String, String)], body: JSONValue)? {
        switch (fault, format) {
        case (.rateLimited(let seconds), _):
            var headers: [(String, String)] = []
            if let seconds {
                headers = [("retry-after", "\(Int(seconds.rounded(.up)))"), ("retry-after-ms", "\(Int(seconds * 1000))")]
            }
            switch format {
            case .openai:
                // As OpenAI writes it, billing link included: only the code says this is a rate limit.
                let hint = seconds.map { " Please try again in \($0)s." } ?? ""
                let message = "Rate limit reached for gpt-4o-mini in organization org-sim on requests per min (RPM): Limit 3, Used 3, Requested 1.\(hint) Visit https://platform.openai.com/account/rate-limits to learn more. You can increase your rate limit by adding a payment method to your account at https://platform.openai.com/account/billing."
                return (429, headers, ["error": ["message": .string(message), "type": "requests", "code": "rate_limit_exceeded", "param": .null]])
            case .anthropic:
                return (429, headers, ["type": "error", "error": ["type": "rate_limit_error", "message": "Number of request tokens has exceeded your per-minute rate limit"]])
            case .gemini:
                var details: [JSONValue] = []
                if let seconds { details.append(["@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": .string("\(seconds)s")]) }
                return (429, [], ["error": ["code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED", "details": .array(details)]])
            }
        case (.serverError(let status), .openai):
            return (status, [], ["error": ["message": "The server had an error while processing your request.", "type": "server_error", "code": .null, "param": .null]])
        case (.serverError(let status), .anthropic):
            return (status, [], ["type": "error", "error": ["type": "api_error", "message": "Internal server error"]])
        case (.serverError(let status), .gemini):
            return (status, [], ["error": ["code": .int(status), "message": "The service is currently unavailable.", "status": status == 503 ? "UNAVAILABLE" : "INTERNAL"]])
        case (.overloaded, .anthropic):
            return (529, [], ["type": "error", "error": ["type": "overloaded_error", "message": "Overloaded"]])
        case (.overloaded, _):
            return self.error(.serverError(503), format: format)
        case (.unauthorized, .openai):
            return (401, [], ["error": ["message": "Incorrect API key provided.", "type": "invalid_request_error", "code": "invalid_api_key", "param": .null]])
        case (.unauthorized, .anthropic):
            return (401, [], ["type": "error", "error": ["type": "authentication_error", "message": "invalid x-api-key"]])
        case (.unauthorized, .gemini):
            return (400, [], ["error": ["code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT", "details": [["@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"]]]])
        case (.contextLength, .openai):
            return (400, [], ["error": ["message": "This model's maximum context length is 128000 tokens. However, your messages resulted in 200000 tokens.", "type": "invalid_request_error", "code": "context_length_exceeded", "param": "messages"]])
        case (.contextLength, .anthropic):
            return (400, [], ["type": "error", "error": ["type": "invalid_request_error", "message": "prompt is too long: 250000 tokens > 200000 maximum"]])
        case (.contextLength, .gemini):
            return (400, [], ["error": ["code": 400, "message": "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).", "status": "INVALID_ARGUMENT"]])
        case (.contentFilter, .openai):
            return (400, [], ["error": ["message": "The response was filtered due to the prompt triggering the content management policy.", "type": "invalid_request_error", "code": "content_filter", "param": "prompt"]])
        case (.contentFilter, .anthropic):
            return (400, [], ["type": "error", "error": ["type": "invalid_request_error", "message": "Output blocked by content filtering policy"]])
        case (.contentFilter, .gemini):
            return nil  // Gemini answers 200 with promptFeedback.blockReason; see SimServer
        case (.insufficientQuota, .openai):
            return (429, [], ["error": ["message": "You exceeded your current quota, please check your plan and billing details.", "type": "insufficient_quota", "code": "insufficient_quota", "param": .null]])
        case (.insufficientQuota, .anthropic):
            return (400, [], ["type": "error", "error": ["type": "invalid_request_error", "message": "Your credit balance is too low to access the Anthropic API."]])
        case (.insufficientQuota, .gemini):
            // Gemini's billing failure has no details: a depleted prepayment.
            return (429, [], ["error": ["code": 429, "message": "Your prepayment credits are depleted. Please go to AI Studio at https://ai.studio/projects to manage your project and billing.", "status": "RESOURCE_EXHAUSTED"]])
        case (.geminiRateMinute(let seconds), .gemini):
            return (429, [], self.geminiQuotaFailure(quotaID: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", limit: "15", retryDelay: seconds))
        case (.geminiRateMinute(let seconds), _):
            return self.error(.rateLimited(seconds: seconds), format: format)
        case (.geminiQuotaDay, .gemini):
            // Gemini sends a RetryInfo with a spent daily quota too; waiting that long does not help.
            return (429, [], self.geminiQuotaFailure(quotaID: "GenerateRequestsPerDayPerProjectPerModel-FreeTier", limit: "250", retryDelay: 22))
        case (.geminiQuotaDay, .openai):
            return (429, [], ["error": ["message": "Rate limit reached for gpt-4o-mini in organization org-sim on requests per day (RPD): Limit 200, Used 200, Requested 1. Please try again in 7m12s. Visit https://platform.openai.com/account/rate-limits to learn more.", "type": "requests", "code": "rate_limit_exceeded", "param": .null]])
        case (.geminiQuotaDay, .anthropic):
            return self.error(.rateLimited(seconds: nil), format: format)
        default:
            return nil
        }
    }
}
