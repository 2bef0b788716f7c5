extension PatternProgram {
    /// Whether the pattern matches anywhere in `text` (JSON Schema's unanchored search), scalar by scalar.
    func matches(_ text: String) -> Bool {
        var current = ThreadSet(capacity: self.instructions.count)
        var next = ThreadSet(capacity: self.instructions.count)
        var pending: [Int] = []
        var scalars = text.unicodeScalars.makeIterator()
        var upcoming = scalars.next()
        if self.addThread(0, to: &current, previous: nil, next: upcoming, pending: &pending) { return true }
        while let scalar = upcoming {
            let following = scalars.next()
            for position in 0..<current.count {
                let pc = current.members[position]
                let advances: Bool
                switch self.instructions[pc] {
                case .scalar(let value): advances = value == scalar.value
                case .set(let index): advances = self.classes[index].contains(scalar)
                default: advances = false
                }
                if advances,
                    self.addThread(pc + 1, to: &next, previous: scalar, next: following, pending: &pending)
                {
                    return true
                }
            }
            if !self.isAnchoredAtStart,
                self.addThread(0, to: &next, previous: scalar, next: following, pending: &pending)
            {
                return true
            }
            if next.count == 0 { return false }
            swap(&current, &next)
            next.removeAll()
            upcoming = following
        }
        return false
    }

    /// Adds `start` and everything reachable from it without consuming input (the epsilon closure) to `set`, with
    /// an explicit stack so that long chains of splits cannot exhaust the call stack. True when `match` is reached.
    private func addThread(
        _ start: Int,
        to set: inout ThreadSet,
        previous: Unicode.Scalar?,
        next: Unicode.Scalar?,
        pending: inout [Int]
    ) -> Bool {
        pending.removeAll(keepingCapacity: true)
        pending.append(start)
        while let pc = pending.popLast() {
            guard set.insert(pc) else { continue }
            switch self.instructions[pc] {
            case .match:
                return true
            case .jump(let target):
                pending.append(target)
            case .split(let first, let second):
                pending.append(second)
                pending.append(first)
            case .assertStart:
                if previous == nil { pending.append(pc + 1) }
            case .assertEnd:
                if next == nil { pending.append(pc + 1) }
            case .assertWordBoundary(let negated):
                if (PatternClass.isWord(previous) != PatternClass.isWord(next)) != negated { pending.append(pc + 1) }
            case .scalar, .set:
                break
            }
        }
        return false
    }
}

/// A sparse set of program counters: constant-time insert, membership and clear, in insertion order.
private struct ThreadSet {
    private(set) var members: [Int]
    private var positions: [Int]
    private(set) var count = 0

    init(capacity: Int) {
        self.members = Array(repeating: 0, count: capacity)
        self.positions = Array(repeating: 0, count: capacity)
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
