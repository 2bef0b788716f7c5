/// Checks an answer's text against the response format the caller asked for: the guarantee that `json` in a result
/// validates. Pure: the gateway decides what a rejected answer leads to (a repair, the next target, -32011).
public struct StructuredAnswerCheck: Sendable {
    public enum Verdict: Sendable, Equatable {
        /// The answer, parsed (and with the strict-mode nulls of optional members removed).
        case valid(JSONValue)
        /// What is wrong, one line each (at most `limit`).
        case invalid([String])
    }

    private let format: ResponseFormat
    private let schema: JSONSchema?

    /// - Throws: the schema's compile error (a request's schema is compiled when its params are read, so this
    ///   cannot fail for a request that reached the gateway).
    public init(_ format: ResponseFormat) throws(JSONSchemaError) {
        self.format = format
        if case .jsonSchema(let given) = format {
            self.schema = try JSONSchema(compiling: given.schema)
        } else {
            self.schema = nil
        }
    }

    public func check(_ text: String, limit: Int = 20) -> Verdict {
        guard let parsed = Self.parse(text) else {
            let start = text.drop { $0.isWhitespace }.prefix(40)
            return .invalid(["the answer is not JSON (it starts with \"\(start)\")"])
        }
        switch self.format {
        case .text:
            return .valid(parsed)
        case .jsonObject:
            guard case .object = parsed else { return .invalid(["expected a JSON object, got \(parsed.typeName)"]) }
            return .valid(parsed)
        case .jsonSchema(let given):
            // OpenAI's strict mode has optional members sent as required-but-nullable: their nulls go first.
            let answer = SchemaRewrite.removingStrictNulls(from: parsed, original: given.schema)
            let violations = self.schema?.validate(answer, limit: limit) ?? []
            return violations.isEmpty ? .valid(answer) : .invalid(violations.map(\.description))
        }
    }

    /// The answer as JSON: the text itself, or the one fenced block a model wrapped it in (```json … ```).
    static func parse(_ text: String) -> JSONValue? {
        if let value = try? JSONValue.parse(Array(text.utf8), maxDepth: 128) { return value }
        var body = Substring(text).drop { $0.isWhitespace }
        guard body.hasPrefix("```") else { return nil }
        body = body.dropFirst(3)
        body = body.drop { $0 != "\n" }
        while body.last?.isWhitespace == true { body = body.dropLast() }
        guard body.hasSuffix("```") else { return nil }
        return try? JSONValue.parse(Array(body.dropLast(3).utf8), maxDepth: 128)
    }

    /// What a repair attempt tells the model: its answer did not validate, why, and to answer again.
    public static func repairPrompt(_ problems: [String]) -> String {
        "Your previous answer did not match the required JSON format:\n"
            + problems.map { "- \($0)" }.joined(separator: "\n")
            + "\nAnswer again with only the corrected JSON, nothing else."
    }
}
