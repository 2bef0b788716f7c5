import JunctionCore

/// Where and how to reach one configured provider. The key is resolved by the daemon at call time.
public struct ProviderEndpoint: Sendable {
    public var name: String
    public var kind: ProviderKind
    /// Without a trailing slash.
    public var baseURL: String
    public var apiKey: String?
    public var extraHeaders: [(name: String, value: String)]

    public init(
        name: String,
        kind: ProviderKind,
        baseURL: String,
        apiKey: String?,
        extraHeaders: [(name: String, value: String)] = []
    ) {
        self.name = name
        self.kind = kind
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.extraHeaders = extraHeaders
    }
}

/// Pure translation between Junction's normalised types and one provider's wire format. No policy, no I/O:
/// adapters build `HTTPRequest`s and read bytes; the transport and the gateway do the rest.
public protocol ProviderAdapter: Sendable {
    /// The chat request in the provider's format. Timeouts, proxy and limits are filled in by the caller.
    func chatRequest(_ request: ChatRequest, model: String, endpoint: ProviderEndpoint) -> HTTPRequest

    /// A non-streamed answer (status 2xx).
    func parseCompletion(_ head: HTTPResponseHead, body: [UInt8], now: Double) -> Result<Completion, ProviderError>

    /// A decoder for the provider's stream format.
    func makeStreamDecoder() -> any StreamDecoding

    /// An error answer (status not 2xx), classified, with every retry hint found.
    func parseError(_ head: HTTPResponseHead, body: [UInt8], now: Double) -> ProviderError

    /// Lists the provider's models.
    func modelsRequest(endpoint: ProviderEndpoint) -> HTTPRequest
    func parseModels(_ body: [UInt8]) -> [String]?

    /// The provider's exact token-count endpoint, where it has one.
    func countTokensRequest(_ request: ChatRequest, model: String, endpoint: ProviderEndpoint) -> HTTPRequest?
    func parseTokenCount(_ body: [UInt8]) -> Int?

    /// Rate-limit state from response headers (any status).
    func rateLimits(_ head: HTTPResponseHead, now: Double) -> RateLimitSnapshot
}

extension ProviderAdapter {
    public func countTokensRequest(_ request: ChatRequest, model: String, endpoint: ProviderEndpoint) -> HTTPRequest? {
        nil
    }

    public func parseTokenCount(_ body: [UInt8]) -> Int? { nil }
}

/// Turns a provider's stream bytes into normalised events, across arbitrary read boundaries.
public protocol StreamDecoding {
    mutating func feed(_ bytes: [UInt8]) -> [StreamEvent]
    /// Events whose JSON could not be read: skipped, not fatal.
    var malformedEvents: Int { get }
}

/// The adapter for a provider kind.
public enum Adapters {
    public static func adapter(for kind: ProviderKind) -> any ProviderAdapter {
        switch kind {
        case .anthropic: AnthropicAdapter()
        case .gemini: GeminiAdapter()
        case .openai: OpenAICompatibleAdapter(preset: .openai)
        case .deepseek: OpenAICompatibleAdapter(preset: .deepseek)
        case .qwen: OpenAICompatibleAdapter(preset: .qwen)
        case .ollama: OpenAICompatibleAdapter(preset: .ollama)
        case .openaiCompatible: OpenAICompatibleAdapter(preset: .generic)
        case .cursor: OpenAICompatibleAdapter(preset: .cursor)
        }
    }
}

/// Shared helpers of the adapters.
enum WireFormat {
    static func parse(_ body: [UInt8]) -> JSONValue? {
        try? JSONValue.parse(body, maxDepth: 128)
    }

    static func json(_ value: JSONValue) -> [UInt8] {
        value.serialized()
    }

    /// The error classification table for HTTP answers, shared by every provider: status first, then the
    /// provider's type, code and message for the cases a status cannot tell apart.
    static func classify(status: Int, type: String?, code: String?, message: String) -> ProviderError.Kind {
        let lowerMessage = message.lowercased()
        let identifiers = [type, code].compactMap { $0?.lowercased() }
        func said(_ needle: String) -> Bool {
            identifiers.contains { $0.contains(needle) } || lowerMessage.contains(needle)
        }
        switch status {
        case 401, 403: return .auth
        case 402: return .quotaExhausted
        case 429:
            // Only the type or code tells billing from pacing: OpenAI's rate-limit messages mention billing ("add a
            // payment method ... /account/billing"), and Gemini says "check your plan and billing details" on
            // every 429, per-minute ones included.
            return Self.isBilling(identifiers) ? .quotaExhausted : .rateLimited
        case 400, 413, 422:
            if Self.isBilling(identifiers) { return .quotaExhausted }
            if said("api key not valid") || said("api_key_invalid") || said("invalid api key") { return .auth }
            if said("context_length_exceeded") || said("maximum context length") || said("prompt is too long")
                || said("exceeds the maximum number of tokens") || said("input token count") || said("too many tokens")
                || said("context window")
            {
                return .contextLength
            }
            if said("content_filter") || said("content_policy") || said("content management policy")
                || said("safety") || said("data_inspection_failed") || said("inappropriate content")
            {
                return .contentFilter
            }
            return .badRequest
        case 404: return .notFound
        case 408, 409: return .transient
        case 529: return .overloaded
        case 503 where said("overloaded"): return .overloaded
        case 500...599: return .serverError
        default: return .badRequest
        }
    }

    /// OpenAI's billing failures: type `insufficient_quota`, code `insufficient_quota`, `credit_balance_exhausted`,
    /// `organization_spend_limit_exceeded`, `project_spend_limit_exceeded`, `organization_usage_limit_exceeded`,
    /// `billing_hard_limit_reached`, `billing_not_active`. Rate limits are `rate_limit_exceeded` / `slow_down`.
    static func isBilling(_ identifiers: [String]) -> Bool {
        identifiers.contains { identifier in
            ["insufficient_quota", "credit_balance", "spend_limit", "usage_limit", "billing"].contains {
                identifier.contains($0)
            }
        }
    }

    static func finishReason(_ text: String?) -> FinishReason? {
        switch text?.lowercased() {
        case nil, "null", "": nil
        case "stop", "end_turn", "stop_sequence": .stop
        case "length", "max_tokens", "model_context_window_exceeded": .length
        case "content_filter", "safety", "recitation", "blocklist", "prohibited_content", "spii", "refusal",
            "image_safety":
            .contentFilter
        case "tool_calls", "function_call", "tool_use": .toolCalls
        case "finish_reason_unspecified", "other", "malformed_function_call", "insufficient_system_resource": .error
        default: .stop
        }
    }

    /// Message for an error body that could not be read: status and the start of the body, nothing more.
    static func unreadable(_ status: Int, _ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        return text.isEmpty ? "HTTP \(status) with an empty body" : "HTTP \(status): \(text)"
    }
}
