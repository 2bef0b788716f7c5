/// A compiled JSON Schema (the subset below). Compile once, validate many values.
///
/// Draft 2020-12 semantics, with draft-07 spellings accepted (`definitions`, the array form of `items` with
/// `additionalItems`). Supported: `type`, `enum`, `const`; `minimum`, `maximum`, `exclusiveMinimum`,
/// `exclusiveMaximum` (number form), `multipleOf` (compared as exact decimals); `minLength`, `maxLength` (in
/// code points), `pattern` (ECMA-262 syntax without backreferences and lookaround, matched in linear time:
/// `PatternParser`); `items`, `prefixItems`, `minItems`, `maxItems`, `uniqueItems`, `contains`, `minContains`,
/// `maxContains`; `properties`, `patternProperties`, `additionalProperties`, `required`, `propertyNames`,
/// `minProperties`, `maxProperties`, `dependentRequired`; `allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else`;
/// local `$ref` (any JSON Pointer into the document, "#", "#/$defs/x", percent- and ~-escaped), `$defs` and
/// `definitions`; the boolean schemas. Annotations (`title`, `description`, `default`, `examples`, `format`) and
/// unknown keywords are ignored. Equality (`enum`, `const`, `uniqueItems`) is by `canonicalText`: 1 equals 1.0, and
/// key order does not matter.
///
/// Limits, for untrusted schemas and values: remote `$ref`s, anchors, patterns that need backtracking, a pattern
/// that compiles to more than 10,000 states (or all of a schema's to more than 50,000) and cycles of `$ref`s that
/// never step into the value (`{"$ref": "#"}`) are compile errors; subschemas nest at most 128 deep. Validation
/// applies at most 256 schemas inside one another (then reports "schema recursion too deep"), evaluates each
/// `$ref` target at most once per place in the value (shared references cannot multiply the work), and spends at
/// most `patternBudget(for:)` steps matching patterns (then reports that pattern matching gave up): it takes time
/// linear in the value for a given schema.
public struct JSONSchema: Sendable {
    private let nodes: [SchemaNode]
    private let root: Int
    private let hasReferences: Bool
    private let hasPatterns: Bool

    /// Compiles `schema`; the error names the offending place in it ("#/properties/age/minimum: must be a number").
    public init(compiling schema: JSONValue) throws(JSONSchemaError) {
        var compiler = SchemaCompiler(document: schema)
        (self.nodes, self.root) = try compiler.compile()
        self.hasReferences = self.nodes.contains { $0.applicators?.value.reference != nil }
        self.hasPatterns = compiler.patternStates > 0
    }

    /// Every violation found (empty: valid), at most `limit` of them, in document order. A `limit` below 1 counts
    /// as 1, so that an empty answer always means valid.
    public func validate(_ value: JSONValue, limit: Int = 20) -> [JSONSchemaViolation] {
        var evaluator = self.evaluator(for: value, limit: limit)
        _ = evaluator.evaluate(self.root, value, collect: true, via: "false")
        return evaluator.violations
    }

    /// Whether `value` is valid: the same answer as `validate(value).isEmpty`, sooner (it stops at the first
    /// violation and builds no messages).
    public func isValid(_ value: JSONValue) -> Bool {
        var evaluator = self.evaluator(for: value, limit: 1)
        return evaluator.evaluate(self.root, value, collect: false, via: "false") && evaluator.abandoned == nil
    }

    private func evaluator(for value: JSONValue, limit: Int) -> SchemaEvaluator {
        SchemaEvaluator(
            nodes: self.nodes,
            limit: limit,
            remembersReferences: self.hasReferences,
            // Measuring the value costs a walk over it: only for schemas that have patterns.
            patternBudget: self.hasPatterns ? Self.patternBudget(for: value) : 0
        )
    }
}
