/// One place a request can go: a provider and one of its models, written `"provider:model"`.
public struct TargetRef: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var provider: String
    public var model: String

    public init(provider: String, model: String) {
        self.provider = provider
        self.model = model
    }

    /// Parses `provider:model`; the model may itself contain colons (`ollama:llama3.2:3b`).
    public init?(_ text: String) {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex, text.index(after: colon) != text.endIndex
        else { return nil }
        self.provider = String(text[..<colon])
        self.model = String(text[text.index(after: colon)...])
    }

    public var description: String { "\(self.provider):\(self.model)" }
}
