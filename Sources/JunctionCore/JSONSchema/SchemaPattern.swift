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

    /// How big the compiled program is (see `SchemaCompiler.maxPatternStates`).
    var stateCount: Int { self.program.instructions.count }

    /// Whether the pattern matches `text`, or nil when that would take more than `budget` steps (a step: one
    /// thread of the matcher advanced or added); the steps taken are subtracted from `budget`.
    func matches(_ text: String, scratch: inout PatternScratch, budget: inout Int) -> Bool? {
        self.program.matches(text, scratch: &scratch, budget: &budget)
    }

    /// The same without a budget, with buffers of its own: for tests.
    func matches(_ text: String) -> Bool {
        var scratch = PatternScratch()
        var budget = Int.max
        return self.program.matches(text, scratch: &scratch, budget: &budget) ?? false
    }
}
