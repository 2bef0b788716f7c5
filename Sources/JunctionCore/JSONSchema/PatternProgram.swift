/// A compiled `pattern`: a Thompson NFA that `matches(_:)` runs as a Pike VM, in time linear in the input
/// (input length × program size), whatever the pattern. Swift's `Regex` backtracks: `(a+)+$` on 18 "a"s and a
/// "b" took 35 s to fail on this machine, and both the pattern (the caller's schema) and the input (the model's
/// answer) are untrusted.
struct PatternProgram: Sendable {
    enum Instruction: Sendable {
        /// Consumes one scalar equal to this value.
        case scalar(UInt32)
        /// Consumes one scalar in `classes[index]`.
        case set(Int)
        /// Continues at both targets.
        case split(Int, Int)
        case jump(Int)
        case assertStart
        case assertEnd
        case assertWordBoundary(negated: Bool)
        case match
    }

    private(set) var instructions: [Instruction] = []
    private(set) var classes: [PatternClass] = []
    /// Every match starts at offset 0: no new thread is started at later positions.
    private(set) var isAnchoredAtStart = false

    /// The most instructions a pattern may compile to; `x{1000}` of a small `x` fits, `(x{1000}){1000}` does not.
    /// Matching costs at most this many steps per scalar of input.
    static let maxInstructions = 10_000

    init(_ node: PatternNode) throws(PatternError) {
        // One more for the final `match`.
        guard node.instructionCount < Self.maxInstructions else {
            throw PatternError(message: "pattern too large (over \(Self.maxInstructions) states once compiled)")
        }
        self.isAnchoredAtStart = node.isAnchoredAtStart
        self.emit(node)
        self.instructions.append(.match)
    }

    private mutating func emit(_ node: PatternNode) {
        switch node {
        case .empty:
            break
        case .scalar(let scalar):
            self.instructions.append(.scalar(scalar.value))
        case .set(let set):
            self.classes.append(set)
            self.instructions.append(.set(self.classes.count - 1))
        case .start:
            self.instructions.append(.assertStart)
        case .end:
            self.instructions.append(.assertEnd)
        case .wordBoundary(let negated):
            self.instructions.append(.assertWordBoundary(negated: negated))
        case .concatenation(let items):
            for item in items { self.emit(item) }
        case .alternation(let branches):
            self.emitAlternation(branches[...])
        case .repetition(let body, let minimum, let maximum):
            self.emitRepetition(body, minimum: minimum, maximum: maximum)
        }
    }

    /// `split next, rest; next…; jump end; rest: …`, the last branch without a split.
    private mutating func emitAlternation(_ branches: ArraySlice<PatternNode>) {
        var jumps: [Int] = []
        for (offset, branch) in zip(branches.indices, branches) {
            if offset == branches.index(before: branches.endIndex) {
                self.emit(branch)
                break
            }
            let split = self.placeholder()
            self.emit(branch)
            jumps.append(self.placeholder())
            self.instructions[split] = .split(split + 1, self.instructions.count)
        }
        for jump in jumps { self.instructions[jump] = .jump(self.instructions.count) }
    }

    private mutating func emitRepetition(_ body: PatternNode, minimum: Int, maximum: Int?) {
        for _ in 0..<minimum { self.emit(body) }
        guard let maximum else {
            // loop: split body, exit; body; jump loop
            let loop = self.placeholder()
            self.emit(body)
            self.instructions.append(.jump(loop))
            self.instructions[loop] = .split(loop + 1, self.instructions.count)
            return
        }
        // Each optional copy: split body, exit-all; the exits are patched once the end is known.
        var splits: [Int] = []
        for _ in minimum..<maximum {
            splits.append(self.placeholder())
            self.emit(body)
        }
        for split in splits { self.instructions[split] = .split(split + 1, self.instructions.count) }
    }

    private mutating func placeholder() -> Int {
        self.instructions.append(.match)
        return self.instructions.count - 1
    }
}
