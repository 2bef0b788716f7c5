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

    /// The instructions `PatternProgram` emits for this node, saturating at `ceiling` so that nested counted
    /// repetitions (`(a{1000}){1000}`) are measured, and refused, before anything is built.
    var instructionCount: Int {
        switch self {
        case .empty: return 0
        case .scalar, .set, .start, .end, .wordBoundary: return 1
        case .concatenation(let items):
            return items.reduce(0) { Self.sum($0, $1.instructionCount) }
        case .alternation(let branches):
            // A split and a jump around each branch but the last.
            let splits = Self.product(2, branches.count - 1)
            return branches.reduce(splits) { Self.sum($0, $1.instructionCount) }
        case .repetition(let body, let minimum, let maximum):
            let bodyCount = body.instructionCount
            let required = Self.product(bodyCount, minimum)
            // Each optional copy has a split before it; an unbounded tail is a split, the body and a jump.
            let optional = maximum.map { Self.product(bodyCount + 1, $0 - minimum) } ?? Self.sum(bodyCount, 2)
            return Self.sum(required, optional)
        }
    }

    private static let ceiling = Int.max / 4

    private static func sum(_ left: Int, _ right: Int) -> Int {
        min(left + right, Self.ceiling)
    }

    private static func product(_ left: Int, _ right: Int) -> Int {
        let (product, overflow) = left.multipliedReportingOverflow(by: right)
        return overflow ? Self.ceiling : min(product, Self.ceiling)
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
