/// The wire formats and presets Junction speaks. Each kind has a default base URL and, where the provider has a
/// customary one, the environment variable its API key is usually found in.
public enum ProviderKind: String, CaseIterable, Sendable {
    case openai
    case anthropic
    case gemini
    case deepseek
    case qwen
    case ollama
    case openaiCompatible = "openai-compatible"
    case cursor

    public var defaultBaseURL: String? {
        switch self {
        case .openai: "https://api.openai.com/v1"
        case .anthropic: "https://api.anthropic.com"
        case .gemini: "https://generativelanguage.googleapis.com/v1beta"
        case .deepseek: "https://api.deepseek.com"
        case .qwen: "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"
        case .ollama: "http://127.0.0.1:11434/v1"
        // These point wherever the user says; there is no sensible default.
        case .openaiCompatible, .cursor: nil
        }
    }

    /// The environment variables that conventionally hold this provider's key, in order of preference.
    public var conventionalKeyVariables: [String] {
        switch self {
        case .openai: ["OPENAI_API_KEY"]
        case .anthropic: ["ANTHROPIC_API_KEY"]
        case .gemini: ["GEMINI_API_KEY", "GOOGLE_API_KEY"]
        case .deepseek: ["DEEPSEEK_API_KEY"]
        case .qwen: ["DASHSCOPE_API_KEY", "QWEN_API_KEY"]
        case .cursor: ["CURSOR_API_KEY"]
        case .ollama, .openaiCompatible: []
        }
    }

    /// The environment variable that conventionally holds the base URL of a kind that has no default one.
    public var conventionalBaseURLVariable: String? {
        switch self {
        case .cursor: "CURSOR_BASE_URL"
        default: nil
        }
    }

    /// A sensible model for a provider configured with none (from the environment, say).
    public var defaultModel: String? {
        switch self {
        case .openai: "gpt-4o-mini"
        case .anthropic: "claude-3-5-haiku-latest"
        case .gemini: "gemini-2.0-flash"
        case .deepseek: "deepseek-chat"
        case .qwen: "qwen-plus"
        case .ollama: "llama3.2"
        case .openaiCompatible, .cursor: nil
        }
    }

    /// Whether requests need an API key at all (local servers such as Ollama do not).
    public var requiresKey: Bool {
        switch self {
        case .ollama, .openaiCompatible: false
        default: true
        }
    }
}
