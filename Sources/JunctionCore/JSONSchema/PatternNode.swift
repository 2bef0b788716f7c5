/// The syntax tree of a `pattern`, as `PatternParser` reads it and `PatternProgram` compiles it.
indirect enum PatternNode: Sendable {
    /// Matches the empty string (an empty branch or group).
    case empty
    case scalar(Unicode.Scalar)
    /// A character class, or one of `.`, `\d`, `\w`, `\s` and their negations.
    case set(PatternClass)
    /// `^`: the start of the input (no multiline flag in JSON Schema).
    case start
    /// `$`: the end of the input.
    case end
    /// `\b` (false) or `\B` (true).
    case wordBoundary(negated: Bool)
    case concatenation([PatternNode])
    case alternation([PatternNode])
    /// `x*`, `x+`, `x?`, `x{n}`, `x{n,}`, `x{n,m}` (greedy or lazy: the same for a yes/no match); `max` nil for
    /// no upper bound.
    case repetition(PatternNode, min: Int, max: Int?)

    /// Instructions the compiled form needs, saturating at `Int.max / 4` so that nested counted repetitions
    /// (`(a{1000}){1000}`) are refused before anything is built.
    var instructionCount: Int {
        let ceiling = Int.max / 4
        switch self {
        case .empty: return 0
        case .scalar, .set, .start, .end, .wordBoundary: return 1
        case .concatenation(let items):
            return items.reduce(0) { min($0 + $1.instructionCount, ceiling) }
        case .alternation(let branches):
            return branches.reduce(0) { min($0 + $1.instructionCount + 2, ceiling) }
        case .repetition(let body, let minimum, let maximum):
            let bodyCount = body.instructionCount
            // Each copy of the body, one split per optional copy, a split and a jump for an unbounded tail.
            let copies = maximum ?? (minimum + 1)
            let (product, overflow) = (bodyCount + 1).multipliedReportingOverflow(by: copies)
            return overflow ? ceiling : min(product + 2, ceiling)
        }
    }

    /// Whether every match must begin at the start of the input, so the matcher need not try later positions.
    var isAnchoredAtStart: Bool {
        switch self {
        case .start: true
        case .concatenation(let items): items.first?.isAnchoredAtStart ?? false
        case .alternation(let branches): !branches.isEmpty && branches.allSatisfy(\.isAnchoredAtStart)
        default: false
        }
    }
}
