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
/// Limits, for untrusted schemas and values: remote `$ref`s, anchors, patterns that need backtracking or compile
/// to more than 10,000 states and cycles of `$ref`s that never step into the value (`{"$ref": "#"}`) are compile
/// errors; subschemas nest at most 128 deep; validation applies at most 256 schemas inside one another (then
/// reports "schema recursion too deep").
public struct JSONSchema: Sendable {
    private let nodes: [SchemaNode]
    private let root: Int

    /// Compiles `schema`; the error names the offending place in it ("#/properties/age/minimum: must be a number").
    public init(compiling schema: JSONValue) throws(JSONSchemaError) {
        var compiler = SchemaCompiler(document: schema)
        (self.nodes, self.root) = try compiler.compile()
    }

    /// Every violation found (empty: valid), at most `limit` of them, in document order. A `limit` below 1 counts
    /// as 1, so that an empty answer always means valid.
    public func validate(_ value: JSONValue, limit: Int = 20) -> [JSONSchemaViolation] {
        var evaluator = SchemaEvaluator(nodes: self.nodes, limit: limit)
        _ = evaluator.evaluate(self.root, value, collect: true, via: "false")
        return evaluator.violations
    }

    /// Whether `value` is valid: the same answer as `validate(value).isEmpty`, sooner (it stops at the first
    /// violation and builds no messages).
    public func isValid(_ value: JSONValue) -> Bool {
        var evaluator = SchemaEvaluator(nodes: self.nodes, limit: 1)
        return evaluator.evaluate(self.root, value, collect: false, via: "false") && evaluator.overflow == nil
    }
}
