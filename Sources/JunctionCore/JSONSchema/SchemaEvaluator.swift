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
    /// Set once evaluation went deeper than `maxDepth`: the value is then invalid, whatever else was decided.
    private(set) var overflow: JSONSchemaViolation?

    /// The most schemas applied inside one another (each `$ref`, `properties`, `items`, `allOf`… entered counts
    /// one): a recursive schema over a value nested 64 levels deep uses about 192. Bounds the stack.
    static let maxDepth = 256

    /// The most schema applications one validation may make. Shared subschemas (`$ref`) under `anyOf`/`allOf`
    /// can make the work exponential in the schema's size (four-way branches 30 levels deep); past this budget
    /// the value is rejected as "schema too complex" instead of holding the thread.
    static let maxSteps = 1_000_000
    private var steps = 0

    enum PathToken {
        case key(String)
        case index(Int)
    }

    init(nodes: [SchemaNode], limit: Int) {
        self.nodes = nodes
        self.limit = max(1, limit)
    }

    /// The violations in document order (a value before its members, members in their order), the depth
    /// violation last.
    var violations: [JSONSchemaViolation] {
        var sorted = self.found.sorted { left, right in
            if left.position.lexicographicallyPrecedes(right.position) { return true }
            if right.position.lexicographicallyPrecedes(left.position) { return false }
            return left.order < right.order
        }.map(\.violation)
        if let overflow = self.overflow {
            if sorted.count >= self.limit { sorted.removeLast(sorted.count - self.limit + 1) }
            sorted.append(overflow)
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
        collect && !self.isFull && self.overflow == nil
    }

    /// Evaluates `value`'s member or element at `token` (position `position`) with `body`.
    mutating func descend<Result>(
        into token: PathToken,
        position: Int,
        _ body: (inout SchemaEvaluator) -> Result
    ) -> Result {
        self.path.append(token)
        self.positions.append(position)
        defer {
            self.path.removeLast()
            self.positions.removeLast()
        }
        return body(&self)
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

    /// Whether `value` is valid against node `index`. `keyword` names the failure if the node is `false`.
    mutating func evaluate(_ index: Int, _ value: JSONValue, collect: Bool, via keyword: String) -> Bool {
        guard self.overflow == nil else { return false }
        self.steps += 1
        guard self.steps <= Self.maxSteps else {
            self.overflow = JSONSchemaViolation(
                path: self.pointer,
                keyword: "$ref",
                message: "schema too complex to check (more than \(Self.maxSteps) schema applications)"
            )
            return false
        }
        guard self.depth < Self.maxDepth else {
            self.overflow = JSONSchemaViolation(
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
        if !self.checkApplicators(node.applicators, value, collect: collect) {
            valid = false
            guard self.goesOn(collect: collect) else { return false }
        }
        switch value {
        case .array(let elements):
            if let rules = node.array, !self.checkElements(rules, elements, collect: collect) { valid = false }
        case .object(let object):
            if let rules = node.object, !self.checkMembers(rules, object, collect: collect) { valid = false }
        default:
            break
        }
        return valid && self.overflow == nil
    }

    /// The checks on the value itself, before any subschema.
    private mutating func checkAssertions(_ node: SchemaNode, _ value: JSONValue, collect: Bool) -> Bool {
        var valid = true
        if !self.checkScalar(node, value, collect: collect) {
            valid = false
            guard self.goesOn(collect: collect) else { return false }
        }
        switch value {
        case .array(let elements):
            if let rules = node.array, !self.checkArray(rules, elements, collect: collect) { valid = false }
        case .object(let object):
            if let rules = node.object, !self.checkObject(rules, object, collect: collect) { valid = false }
        default:
            break
        }
        return valid
    }
}
