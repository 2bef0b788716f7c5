/// A chat completion request in Junction's normalised form; each provider adapter translates it into its own
/// wire format.
public struct ChatRequest: Sendable, Equatable {
    public var messages: [ChatMessage]
    /// A system prompt given apart from the messages (adapters merge it with any system messages).
    public var system: String?
    /// The model as the caller named it: "provider:model", a bare model id, or nil for the route's default.
    public var model: String?
    public var route: String?
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var stop: [String]
    public var responseFormat: ResponseFormat
    /// The provider's sampling seed, where it takes one (OpenAI-compatible `seed`, Gemini `generationConfig.seed`).
    public var seed: Int?
    /// Extended thinking's token budget (Anthropic `thinking`, Gemini `thinkingConfig`); nil: the provider's
    /// default. Other provider kinds have no budget field and are sent none.
    public var thinkingBudget: Int?
    /// Adaptive thinking (Anthropic `thinking: {type: "adaptive"}`, Gemini's dynamic budget): the model decides how
    /// much to think, within `maxTokens`. Exclusive with `thinkingBudget`; other kinds are sent nothing.
    public var adaptiveThinking: AdaptiveThinking?
    public var stream: Bool
    public var metadata: JSONObject

    public init(
        messages: [ChatMessage],
        system: String? = nil,
        model: String? = nil,
        route: String? = nil,
        maxTokens: Int? = nil,
        temperature: Double? = nil,
        topP: Double? = nil,
        stop: [String] = [],
        responseFormat: ResponseFormat = .text,
        seed: Int? = nil,
        thinkingBudget: Int? = nil,
        adaptiveThinking: AdaptiveThinking? = nil,
        stream: Bool = false,
        metadata: JSONObject = JSONObject()
    ) {
        self.messages = messages
        self.system = system
        self.model = model
        self.route = route
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.stop = stop
        self.responseFormat = responseFormat
        self.seed = seed
        self.thinkingBudget = thinkingBudget
        self.adaptiveThinking = adaptiveThinking
        self.stream = stream
        self.metadata = metadata
    }

    /// The system prompt and any system messages, joined, for providers that take it as one field.
    public var combinedSystemPrompt: String? {
        let parts = ([self.system] + self.messages.filter { $0.role == .system }.map(\.content)).compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: "\n\n")
    }

    /// The conversation without system messages.
    public var conversation: [ChatMessage] { self.messages.filter { $0.role != .system } }

    /// A rough token estimate of the prompt (4 characters a token, plus a few per message): what routing and
    /// `tokens.count` use when no exact count is available.
    public var estimatedPromptTokens: Int {
        TokenEstimate.tokens(in: (self.system ?? "")) + self.messages.reduce(0) { $0 + 4 + TokenEstimate.tokens(in: $1.content) }
    }
}

public struct ChatMessage: Sendable, Equatable {
    public enum Role: String, Sendable, CaseIterable {
        case system
        case user
        case assistant
    }

    public var role: Role
    public var content: String
    /// The caller marked this message `"keep": true`: context fitting never drops it.
    public var keep: Bool

    public init(role: Role, content: String, keep: Bool = false) {
        self.role = role
        self.content = content
        self.keep = keep
    }
}

public enum ResponseFormat: Sendable, Equatable {
    case text
    /// Any JSON object.
    case jsonObject
    /// A JSON Schema the answer must follow.
    case jsonSchema(JSONSchemaFormat)

    /// The answer must be JSON (an object for `jsonObject`, valid against the schema for `jsonSchema`).
    public var wantsJSON: Bool { self != .text }
}

/// `response_format: {type: "json_schema", json_schema: {name, schema, strict?}}`, as the caller gave it.
public struct JSONSchemaFormat: Sendable, Equatable {
    /// The schema's name (OpenAI requires one: `[a-zA-Z0-9_-]{1,64}`).
    public var name: String
    /// The caller's schema, unchanged: what every answer is validated against.
    public var schema: JSONValue
    /// The caller's `strict`; nil: strict where the provider and the schema allow it.
    public var strict: Bool?

    public init(name: String, schema: JSONValue, strict: Bool? = nil) {
        self.name = name
        self.schema = schema
        self.strict = strict
    }
}

/// The documented estimate used where a provider has no counting endpoint: one token per 4 UTF-8 bytes of
/// text (rounded up), which tracks BPE tokenisers on English prose within about 15 %.
public enum TokenEstimate {
    public static func tokens(in text: String) -> Int {
        (text.utf8.count + 3) / 4
    }
}

extension ChatRequest {
    /// The prompt in one canonical form — `{"system":…,"messages":[{"role":…,"content":…},…]}` with keys in that
    /// order and no whitespace — whose SHA-256 the ledger keeps instead of the prompt (equal prompts, equal
    /// digests).
    public var canonicalPrompt: [UInt8] {
        // Written straight as bytes (every request's digest comes from here), exactly as the JSON value
        // `{"system": …, "messages": [{"role": …, "content": …}, …]}` serialises compactly.
        var output: [UInt8] = []
        let textBytes = self.messages.reduce(self.system?.utf8.count ?? 0) { $0 + $1.content.utf8.count + 32 }
        output.reserveCapacity(64 + textBytes)
        output.append(contentsOf: #"{"system":"#.utf8)
        if let system = self.system {
            JSONValue.writeString(system, to: &output)
        } else {
            output.append(contentsOf: "null".utf8)
        }
        output.append(contentsOf: #","messages":["#.utf8)
        for (index, message) in self.messages.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            output.append(contentsOf: #"{"role":"#.utf8)
            JSONValue.writeString(message.role.rawValue, to: &output)
            output.append(contentsOf: #","content":"#.utf8)
            JSONValue.writeString(message.content, to: &output)
            output.append(UInt8(ascii: "}"))
        }
        output.append(contentsOf: "]}".utf8)
        return output
    }

    /// The SHA-256 of `canonicalPrompt`, in hexadecimal.
    public var promptSHA256: String { SHA256.hex(of: self.canonicalPrompt) }
}

/// Adaptive thinking: the model thinks as much as the question needs; `effort` (Anthropic `output_config.effort`)
/// steers how much.
public struct AdaptiveThinking: Sendable, Equatable, Hashable {
    /// The efforts Anthropic documents, from least to most thinking.
    public static let efforts = ["low", "medium", "high", "xhigh", "max"]

    public var effort: String?

    public init(effort: String? = nil) {
        self.effort = effort
    }
}

extension ChatRequest {
    /// Whether the model is asked to think (a budget, or adaptive): Anthropic then takes no temperature, and no
    /// forced tool.
    public var thinks: Bool { self.thinkingBudget != nil || self.adaptiveThinking != nil }
}
