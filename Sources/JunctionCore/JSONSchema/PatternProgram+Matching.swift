extension PatternProgram {
    /// Whether the pattern matches anywhere in `text` (JSON Schema's unanchored search), scalar by scalar; nil
    /// when that takes more than `budget` steps. A step is one thread added to or advanced in the matcher: at most
    /// the program's size per scalar. The steps taken are subtracted from `budget`.
    func matches(_ text: String, scratch: inout PatternScratch, budget: inout Int) -> Bool? {
        var current = scratch.current
        var next = scratch.next
        var pending = scratch.pending
        // Dropping the scratch's references leaves the buffers uniquely referenced: no copy on write below.
        scratch = PatternScratch()
        current.prepare(capacity: self.instructions.count)
        next.prepare(capacity: self.instructions.count)
        defer {
            scratch.current = current
            scratch.next = next
            scratch.pending = pending
        }
        // The loop reads instructions through a buffer pointer: bounds-checked Array access dominates otherwise
        // (in debug builds, several times over).
        return self.instructions.withUnsafeBufferPointer { program in
            var matcher = Matcher(program: program, classes: self.classes, pending: pending)
            defer { pending = matcher.pending }
            var scalars = text.unicodeScalars.makeIterator()
            var upcoming = scalars.next()
            if matcher.addThread(0, to: &current, previous: nil, next: upcoming) { return true }
            while let scalar = upcoming {
                let following = scalars.next()
                matcher.steps += current.count
                for position in 0..<current.count {
                    let pc = current[position]
                    let advances: Bool
                    switch program[pc] {
                    case .scalar(let value): advances = value == scalar.value
                    case .set(let index): advances = self.classes[index].contains(scalar)
                    default: advances = false
                    }
                    if advances, matcher.addThread(pc + 1, to: &next, previous: scalar, next: following) {
                        return true
                    }
                }
                if !self.isAnchoredAtStart, matcher.addThread(0, to: &next, previous: scalar, next: following) {
                    return true
                }
                budget -= matcher.steps
                matcher.steps = 0
                if budget < 0 { return nil }
                if next.count == 0 { return false }
                swap(&current, &next)
                next.removeAll()
                upcoming = following
            }
            return false
        }
    }
}

/// One run of the Pike VM over a program.
private struct Matcher {
    let program: UnsafeBufferPointer<PatternProgram.Instruction>
    let classes: [PatternClass]
    /// The explicit stack of `addThread`, reused.
    var pending: [Int]
    /// Steps since the budget was last charged.
    var steps = 0

    /// Adds `start` and everything reachable from it without consuming input (the epsilon closure) to `set`, with
    /// an explicit stack so that long chains of splits cannot exhaust the call stack. True when `match` is reached.
    mutating func addThread(
        _ start: Int,
        to set: inout ThreadSet,
        previous: Unicode.Scalar?,
        next: Unicode.Scalar?
    ) -> Bool {
        self.pending.removeAll(keepingCapacity: true)
        self.pending.append(start)
        while let pc = self.pending.popLast() {
            self.steps += 1
            guard set.insert(pc) else { continue }
            switch self.program[pc] {
            case .match:
                return true
            case .jump(let target):
                self.pending.append(target)
            case .split(let first, let second):
                self.pending.append(second)
                self.pending.append(first)
            case .assertStart:
                if previous == nil { self.pending.append(pc + 1) }
            case .assertEnd:
                if next == nil { self.pending.append(pc + 1) }
            case .assertWordBoundary(let negated):
                if (PatternClass.isWord(previous) != PatternClass.isWord(next)) != negated {
                    self.pending.append(pc + 1)
                }
            case .scalar, .set:
                break
            }
        }
        return false
    }
}

/// Buffers for `PatternProgram.matches`, kept from one call to the next so that matching a short string costs
/// the string, not the size of the program (the buffers are sized, and zeroed, only when they grow).
struct PatternScratch {
    fileprivate var current = ThreadSet()
    fileprivate var next = ThreadSet()
    fileprivate var pending: [Int] = []
}

/// A sparse set of program counters: constant-time insert, membership and clear, in insertion order. Stale
/// entries need no clearing: a member counts only if `members[positions[pc]] == pc` below `count`.
private struct ThreadSet {
    private var members: [Int] = []
    private var positions: [Int] = []
    private(set) var count = 0

    /// Empties the set and makes room for program counters below `capacity`.
    mutating func prepare(capacity: Int) {
        if self.members.count < capacity {
            self.members += repeatElement(0, count: capacity - self.members.count)
            self.positions += repeatElement(0, count: capacity - self.positions.count)
        }
        self.count = 0
    }

    subscript(position: Int) -> Int {
        self.members[position]
    }

    /// False when `pc` was already there.
    mutating func insert(_ pc: Int) -> Bool {
        let position = self.positions[pc]
        if position < self.count, self.members[position] == pc { return false }
        self.positions[pc] = self.count
        self.members[self.count] = pc
        self.count += 1
        return true
    }

    mutating func removeAll() {
        self.count = 0
    }
}
