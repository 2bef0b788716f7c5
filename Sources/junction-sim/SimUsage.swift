import JunctionCore

/// Token counts the simulator reports for a model instead of its own (set with `POST /_sim/usage`), each dialect
/// writing them in its native fields, so that end-to-end tests can assert exact costs.
///
/// The counts mean what `Usage` means: `prompt` holds every input token (cache reads and writes included),
/// `completion` every output token (reasoning included).
struct SimUsage: Sendable, Equatable {
    var prompt: Int
    var cached: Int
    var cacheWrite: Int
    var cacheWrite1h: Int
    var completion: Int
    var reasoning: Int

    /// `{"prompt": 1200, "cached": 200, "cache_write": 300, "cache_write_1h": 100, "completion": 50,
    /// "reasoning": 20}`; only `prompt` and `completion` are required. Counts that do not add up (cache reads
    /// and writes beyond the prompt, reasoning beyond the completion) are refused with the reason.
    static func parse(_ json: JSONValue) throws(SimUsageProblem) -> SimUsage {
        guard case .object = json else { throw SimUsageProblem(message: "usage must be an object or null") }
        func count(_ key: String, required: Bool = false) throws(SimUsageProblem) -> Int {
            guard let value = json[key], value != .null else {
                if required { throw SimUsageProblem(message: "usage.\(key) is required") }
                return 0
            }
            guard let number = value.intValue, number >= 0 else {
                throw SimUsageProblem(message: "usage.\(key) must be a non-negative integer")
            }
            return number
        }
        let usage = SimUsage(
            prompt: try count("prompt", required: true),
            cached: try count("cached"),
            cacheWrite: try count("cache_write"),
            cacheWrite1h: try count("cache_write_1h"),
            completion: try count("completion", required: true),
            reasoning: try count("reasoning")
        )
        if usage.cached + usage.cacheWrite > usage.prompt {
            throw SimUsageProblem(message: "cached + cache_write exceed prompt")
        }
        if usage.cacheWrite1h > usage.cacheWrite {
            throw SimUsageProblem(message: "cache_write_1h exceeds cache_write")
        }
        if usage.reasoning > usage.completion { throw SimUsageProblem(message: "reasoning exceeds completion") }
        return usage
    }

    var json: JSONValue {
        [
            "prompt": .int(self.prompt), "cached": .int(self.cached), "cache_write": .int(self.cacheWrite),
            "cache_write_1h": .int(self.cacheWrite1h), "completion": .int(self.completion),
            "reasoning": .int(self.reasoning),
        ]
    }

    /// OpenAI's `usage`: cache reads inside `prompt_tokens_details`, reasoning inside
    /// `completion_tokens_details`. DashScope adds its explicit-cache writes there; DeepSeek splits the prompt
    /// into cache hits and misses. Plain OpenAI has no cache-write count (writes are billed as input).
    func openAI(_ dialect: SimFormat.Dialect) -> JSONValue {
        var usage: JSONObject = [
            "prompt_tokens": .int(self.prompt), "completion_tokens": .int(self.completion),
            "total_tokens": .int(self.prompt + self.completion),
        ]
        var promptDetails: JSONObject = ["cached_tokens": .int(self.cached)]
        switch dialect {
        case .standard: break
        case .dashscope:
            if self.cacheWrite > 0 {
                promptDetails["cache_creation_input_tokens"] = .int(self.cacheWrite)
                promptDetails["cache_creation"] = ["ephemeral_5m_input_tokens": .int(self.cacheWrite)]
                promptDetails["cache_type"] = "ephemeral"
            }
        case .deepseek:
            usage["prompt_cache_hit_tokens"] = .int(self.cached)
            usage["prompt_cache_miss_tokens"] = .int(self.prompt - self.cached)
        }
        usage["prompt_tokens_details"] = .object(promptDetails)
        usage["completion_tokens_details"] = ["reasoning_tokens": .int(self.reasoning)]
        return .object(usage)
    }

    /// Anthropic's input fields: `input_tokens` exclude cache reads and writes; the writes are split by duration.
    func anthropicInput(outputTokens: Int) -> JSONValue {
        [
            "input_tokens": .int(self.prompt - self.cached - self.cacheWrite),
            "cache_creation_input_tokens": .int(self.cacheWrite),
            "cache_read_input_tokens": .int(self.cached),
            "cache_creation": [
                "ephemeral_5m_input_tokens": .int(self.cacheWrite - self.cacheWrite1h),
                "ephemeral_1h_input_tokens": .int(self.cacheWrite1h),
            ],
            "output_tokens": .int(outputTokens),
        ]
    }

    /// Gemini's `usageMetadata`: `candidatesTokenCount` excludes thoughts, `promptTokenCount` includes cached
    /// content. Gemini reports no cache writes (caches are created through their own endpoint).
    var gemini: JSONValue {
        var metadata: JSONObject = [
            "promptTokenCount": .int(self.prompt),
            "candidatesTokenCount": .int(self.completion - self.reasoning),
            "totalTokenCount": .int(self.prompt + self.completion),
        ]
        if self.cached > 0 { metadata["cachedContentTokenCount"] = .int(self.cached) }
        if self.reasoning > 0 { metadata["thoughtsTokenCount"] = .int(self.reasoning) }
        return .object(metadata)
    }
}

struct SimUsageProblem: Error {
    var message: String
}
