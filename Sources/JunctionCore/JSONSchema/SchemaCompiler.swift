/// Turns a schema document into `SchemaNode`s, checking every keyword it supports.
///
/// Each subschema is compiled once, keyed by its location (a JSON Pointer into the document), whether it is
/// reached by nesting or by `$ref`: a `$ref` to a location not compiled yet reserves its node and queues it, so
/// that neither recursive schemas nor long chains of references recurse here. Afterwards, cycles of subschemas
/// that apply to the same instance (`{"$ref": "#"}`, `allOf` back to an ancestor) are refused: they could never
/// finish validating anything.
struct SchemaCompiler {
    private let document: JSONValue
    private(set) var nodes: [SchemaNode] = []
    /// Where each node is in the document ("" for the root), for error messages.
    private(set) var locations: [String] = []
    private var nodeAtLocation: [String: Int] = [:]
    private var queued: [(node: Int, value: JSONValue)] = []
    /// Compiled patterns by source: a pattern repeated across a schema is compiled once.
    private var patterns: [String: SchemaPattern] = [:]
    /// The states of every distinct pattern compiled so far.
    private(set) var patternStates = 0

    /// Deeper nesting of subschemas within the document is refused (the compiler and the evaluator recurse on it).
    static let maxNesting = 128
    /// The most pattern states one schema may compile to, over all its patterns. Each is tried on every string or
    /// key it applies to: this keeps a short schema (`(a{1000}){9}` is 12 characters, 9,000 states) from
    /// multiplying the work per string a thousandfold, many times over.
    static let maxPatternStates = 50_000

    init(document: JSONValue) {
        self.document = document
    }

    /// Compiles the whole document; the root node's index comes back with the nodes.
    mutating func compile() throws(JSONSchemaError) -> (nodes: [SchemaNode], root: Int) {
        let root = try self.subschema(self.document, at: "", depth: 0)
        while let next = self.queued.popLast() {
            self.nodes[next.node] = try self.build(next.value, at: self.locations[next.node], depth: 0)
        }
        try self.refuseEndlessCycles()
        return (self.nodes, root)
    }

    /// The node for the subschema `value` at `location`, compiled now unless it already has one.
    mutating func subschema(_ value: JSONValue, at location: String, depth: Int) throws(JSONSchemaError) -> Int {
        if let existing = self.nodeAtLocation[location] { return existing }
        let index = self.reserve(location)
        self.nodes[index] = try self.build(value, at: location, depth: depth)
        return index
    }

    /// The node a `$ref` (written at `location`) points to, queued for compilation if it is new.
    mutating func reference(_ reference: String, at location: String) throws(JSONSchemaError) -> Int {
        let quoted = JSONValue.string(reference).excerpt(limit: 80)
        guard reference.hasPrefix("#") else {
            throw JSONSchemaError(at: location, "only local references (\"#…\") are supported, got \(quoted)")
        }
        guard let tokens = JSONPointer.tokens(ofFragment: reference) else {
            let problem = "\(quoted) is not a JSON Pointer (\"#/$defs/name\"); anchors are not supported"
            throw JSONSchemaError(at: location, problem)
        }
        let target = JSONPointer.make(tokens)
        if let existing = self.nodeAtLocation[target] { return existing }
        guard let value = JSONPointer.resolve(tokens, in: self.document) else {
            throw JSONSchemaError(at: location, "\(quoted) does not point to anything in the schema")
        }
        let index = self.reserve(target)
        self.queued.append((index, value))
        return index
    }

    /// A compiled pattern, or the error naming `location`.
    mutating func pattern(_ source: String, at location: String) throws(JSONSchemaError) -> SchemaPattern {
        if let known = self.patterns[source] { return known }
        let pattern: SchemaPattern
        do {
            pattern = try SchemaPattern(source)
        } catch {
            throw JSONSchemaError(at: location, "invalid pattern: \(error.message)")
        }
        self.patternStates += pattern.stateCount
        guard self.patternStates <= Self.maxPatternStates else {
            throw JSONSchemaError(
                at: location,
                "the schema's patterns are too large together (over \(Self.maxPatternStates) states once compiled)"
            )
        }
        self.patterns[source] = pattern
        return pattern
    }

    private mutating func reserve(_ location: String) -> Int {
        self.nodes.append(SchemaNode())
        self.locations.append(location)
        self.nodeAtLocation[location] = self.nodes.count - 1
        return self.nodes.count - 1
    }

    private mutating func build(
        _ value: JSONValue,
        at location: String,
        depth: Int
    ) throws(JSONSchemaError) -> SchemaNode {
        guard depth <= Self.maxNesting else {
            throw JSONSchemaError(at: location, "subschemas nested deeper than \(Self.maxNesting) levels")
        }
        switch value {
        case .bool(true):
            return SchemaNode()
        case .bool(false):
            var node = SchemaNode()
            node.rejectsEverything = true
            return node
        case .object(let object):
            return try self.buildObject(object, at: location, depth: depth)
        default:
            throw JSONSchemaError(at: location, "must be a schema (an object or a boolean), got \(value.typeName)")
        }
    }
}
