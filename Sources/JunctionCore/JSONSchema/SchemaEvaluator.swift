/// Validates one value against compiled nodes.
///
/// Every check runs in one of two modes: collecting (record a violation for each failure, until `limit`) or
/// deciding (stop at the first failure, record nothing: `isValid`, and the branches of `anyOf`, `oneOf`, `not`,
/// `if`, `contains`, `propertyNames`). Both modes run the same checks in the same order, so a value is valid in
/// one exactly when it is in the other.
struct SchemaEvaluator {
    private let nodes: [SchemaNode]
    private let limit: Int
    /// Recorded violations with where their value is in the document (member and element positions), and the
    /// order in which they were found, for sorting into document order.
    private var found: [(position: [Int], order: Int, violation: JSONSchemaViolation)] = []
    private var path: [PathToken] = []
    private var positions: [Int] = []
    private var depth = 0
    /// Set when evaluation gives up, deeper than `maxDepth` or out of pattern budget: the value is then invalid,
    /// whatever else was decided, and this is its last violation.
    private(set) var abandoned: JSONSchemaViolation?
    /// Pattern matching steps left (see `JSONSchema.patternBudget`).
    private var patternBudget: Int
    /// Whether the schema has `$ref`s, whose results are remembered per value (`evaluateReference`).
    private let remembersReferences: Bool
    /// A number for each place in the value visited (0: the root), parallel to `path`; kept only with `$ref`s.
    private var locations: [Int] = [0]
    /// (parent location, member or element position) → location.
    private var locationNumbers: [UInt64: Int] = [:]
    /// (node, location) → `Memo` bits, for `$ref` targets.
    private var memo: [UInt64: UInt8] = [:]
    /// Buffers the pattern matcher reuses from one string to the next.
    var patternScratch = PatternScratch()

    /// The most schemas applied inside one another (each `$ref`, `properties`, `items`, `allOf`… entered counts
    /// one): a recursive schema over a value nested 64 levels deep uses about 192. Bounds the stack: at the bound,
    /// validation needs about 512 KiB of it in a release build and 2 MiB in a debug build (measured); Swift
    /// concurrency's and NIO's threads have 8 MiB on Linux.
    static let maxDepth = 256

    enum PathToken {
        case key(String)
        case index(Int)
    }

    init(nodes: [SchemaNode], limit: Int, remembersReferences: Bool, patternBudget: Int) {
        self.nodes = nodes
        self.limit = max(1, limit)
        self.remembersReferences = remembersReferences
        self.patternBudget = patternBudget
    }

    /// The violations in document order (a value before its members, members in their order), the one that
    /// made evaluation give up last.
    var violations: [JSONSchemaViolation] {
        var sorted = self.found.sorted { left, right in
            if left.position.lexicographicallyPrecedes(right.position) { return true }
            if right.position.lexicographicallyPrecedes(left.position) { return false }
            return left.order < right.order
        }.map(\.violation)
        if let abandoned = self.abandoned {
            if sorted.count >= self.limit { sorted.removeLast(sorted.count - self.limit + 1) }
            sorted.append(abandoned)
        }
        return sorted
    }

    var isFull: Bool { self.found.count >= self.limit }

    /// Records a failure of `keyword` when collecting; returns whether evaluation goes on (collecting, and room
    /// for more).
    mutating func fail(_ keyword: String, _ message: @autoclosure () -> String, collect: Bool) -> Bool {
        guard collect else { return false }
        if !self.isFull {
            let violation = JSONSchemaViolation(path: self.pointer, keyword: keyword, message: message())
            self.found.append((self.positions, self.found.count, violation))
        }
        return !self.isFull
    }

    /// After a failed subschema: whether evaluation goes on.
    func goesOn(collect: Bool) -> Bool {
        collect && !self.isFull && self.abandoned == nil
    }

    /// Evaluates `value`'s member or element at `token` (position `position`) with `body`.
    mutating func descend<Result>(
        into token: PathToken,
        position: Int,
        _ body: (inout SchemaEvaluator) -> Result
    ) -> Result {
        self.path.append(token)
        self.positions.append(position)
        self.enterLocation(UInt32(truncatingIfNeeded: position))
        defer {
            self.path.removeLast()
            self.positions.removeLast()
            if self.remembersReferences { self.locations.removeLast() }
        }
        return body(&self)
    }

    /// Evaluates `body` for the name of the member at hand (`propertyNames`): the same place for violations,
    /// but another value, so a place of its own for remembered `$ref` results.
    mutating func atMemberName<Result>(_ body: (inout SchemaEvaluator) -> Result) -> Result {
        self.enterLocation(.max)
        defer { if self.remembersReferences { self.locations.removeLast() } }
        return body(&self)
    }

    /// Pushes the number of the place `step` (a position, or `.max` for the name) below the current one.
    private mutating func enterLocation(_ step: UInt32) {
        guard self.remembersReferences else { return }
        let key = UInt64(truncatingIfNeeded: self.locations[self.locations.count - 1]) << 32 | UInt64(step)
        if let known = self.locationNumbers[key] {
            self.locations.append(known)
        } else {
            self.locationNumbers[key] = self.locationNumbers.count + 1
            self.locations.append(self.locationNumbers.count)
        }
    }

    /// What a `$ref` target has made of the value here: `known` with `valid`, and `collected` once its
    /// violations were recorded.
    enum Memo {
        static let known: UInt8 = 1
        static let valid: UInt8 = 2
        static let collected: UInt8 = 4
    }

    /// Evaluates a `$ref` target, at most once per value in each mode. Without this, references shared between
    /// the branches of `anyOf` or `allOf` on the same value multiply: forty definitions that each apply the next
    /// twice take 2^40 evaluations. A result is only remembered while evaluation has not been abandoned.
    mutating func evaluateReference(_ node: Int, _ value: JSONValue, collect: Bool) -> Bool {
        guard self.remembersReferences else { return self.evaluate(node, value, collect: collect, via: "$ref") }
        let key = UInt64(truncatingIfNeeded: node) << 32
            | UInt64(truncatingIfNeeded: self.locations[self.locations.count - 1])
        let known = self.memo[key] ?? 0
        if known & Memo.known != 0 {
            // Valid is valid in both modes; invalid needs its violations recorded once when collecting.
            if known & Memo.valid != 0 || !collect || known & Memo.collected != 0 { return known & Memo.valid != 0 }
        }
        let valid = self.evaluate(node, value, collect: collect, via: "$ref")
        if self.abandoned == nil {
            self.memo[key] = Memo.known | (valid ? Memo.valid : 0) | (collect ? Memo.collected : 0)
        }
        return valid
    }

    private var pointer: String {
        var pointer = ""
        for token in self.path {
            switch token {
            case .key(let key): JSONPointer.append(key, to: &pointer)
            case .index(let index): pointer += "/\(index)"
            }
        }
        return pointer
    }

    func rejectsEverything(_ node: Int) -> Bool {
        self.nodes[node].rejectsEverything
    }

    /// Whether `pattern` matches `text`, within the pattern budget; out of budget, evaluation is abandoned (and
    /// the answer is false).
    mutating func matches(_ pattern: SchemaPattern, _ text: String, keyword: String) -> Bool {
        if let matches = pattern.matches(text, scratch: &self.patternScratch, budget: &self.patternBudget) {
            return matches
        }
        if self.abandoned == nil {
            self.abandoned = JSONSchemaViolation(
                path: self.pointer,
                keyword: keyword,
                message: "pattern matching gave up: the value's budget of steps is spent (patterns too costly)"
            )
        }
        return false
    }

    /// Whether `value` is valid against node `index`. `keyword` names the failure if the node is `false`.
    mutating func evaluate(_ index: Int, _ value: JSONValue, collect: Bool, via keyword: String) -> Bool {
        guard self.abandoned == nil else { return false }
        guard self.depth < Self.maxDepth else {
            self.abandoned = JSONSchemaViolation(
                path: self.pointer,
                keyword: "$ref",
                message: "schema recursion too deep (more than \(Self.maxDepth) nested schemas)"
            )
            return false
        }
        self.depth += 1
        defer { self.depth -= 1 }
        let node = self.nodes[index]
        if node.rejectsEverything {
            _ = self.fail(keyword, "no value is allowed here", collect: collect)
            return false
        }
        var valid = true
        if !self.checkAssertions(node, value, collect: collect) {
            valid = false
            guard self.goesOn(collect: collect) else { return false }
        }
        if let applicators = node.applicators, !self.checkApplicators(applicators.value, value, collect: collect) {
            valid = false
            guard self.goesOn(collect: collect) else { return false }
        }
        switch value {
        case .array(let elements):
            if let rules = node.array, !self.checkElements(rules.value, elements, collect: collect) { valid = false }
        case .object(let object):
            if let rules = node.object, !self.checkMembers(rules.value, object, collect: collect) { valid = false }
        default:
            break
        }
        return valid && self.abandoned == nil
    }

    /// The checks on the value itself, before any subschema. Not inlined: its locals would otherwise sit in
    /// `evaluate`'s frame, once per level of nesting.
    @inline(never)
    private mutating func checkAssertions(_ node: SchemaNode, _ value: JSONValue, collect: Bool) -> Bool {
        var valid = true
        if !self.checkScalar(node, value, collect: collect) {
            valid = false
            guard self.goesOn(collect: collect) else { return false }
        }
        switch value {
        case .array(let elements):
            if let rules = node.array, !self.checkArray(rules.value, elements, collect: collect) { valid = false }
        case .object(let object):
            if let rules = node.object, !self.checkObject(rules.value, object, collect: collect) { valid = false }
        default:
            break
        }
        return valid
    }
}
