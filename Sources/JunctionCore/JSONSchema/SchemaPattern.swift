/// A schema's `pattern` (or a `patternProperties` key), compiled once with the schema and matched with JSON
/// Schema's semantics: an unanchored search over the string's Unicode scalars. See `PatternParser` for the syntax
/// and `PatternProgram` for why this is not Swift's `Regex`.
struct SchemaPattern: Sendable {
    /// The pattern as the schema wrote it, for messages.
    let source: String
    private let program: PatternProgram

    init(_ source: String) throws(PatternError) {
        var parser = PatternParser(source)
        self.source = source
        self.program = try PatternProgram(try parser.parse())
    }

    func matches(_ text: String) -> Bool {
        self.program.matches(text)
    }
}
