/// One compiled (sub)schema. Subschemas are indexes into the compiled schema's node array, so that `$ref`
/// cycles through `properties` or `items` (recursive types) are plain back-references, not infinite values.
/// Every field is optional: an empty node is the `true` schema.
///
/// The keyword groups are kept out of line: evaluation copies a node once per level of nesting, so the node's
/// size is stack depth (with them inline, 2.4 KB per nested schema in a release build).
struct SchemaNode: Sendable {
    /// The `false` schema: nothing is valid.
    var rejectsEverything = false
    var types: SchemaTypes?
    var constant: OutOfLine<Constant>?
    var enumeration: OutOfLine<Enumeration>?
    var numeric: OutOfLine<NumericRules>?
    var string: OutOfLine<StringRules>?
    var array: OutOfLine<ArrayRules>?
    var object: OutOfLine<ObjectRules>?
    var applicators: OutOfLine<Applicators>?

    /// A value on the heap behind one pointer, still a value: an `indirect` enum case is immutable and shared.
    enum OutOfLine<Value: Sendable>: Sendable {
        indirect case value(Value)

        init(_ value: Value) {
            self = .value(value)
        }

        var value: Value {
            switch self {
            case .value(let value): value
            }
        }
    }

    /// A value compared by canonical text (`JSONValue.canonicalText`), and how messages show it.
    struct Constant: Sendable {
        var canonical: [UInt8]
        var display: String
    }

    struct Enumeration: Sendable {
        var canonical: Set<[UInt8]>
        /// The first few values, for "expected one of …".
        var display: String
    }

    /// A number from the schema with its literal, which messages quote as written.
    struct Limit: Sendable {
        var value: DecimalNumber
        var literal: String
    }

    struct NumericRules: Sendable {
        var minimum: Limit?
        var maximum: Limit?
        var exclusiveMinimum: Limit?
        var exclusiveMaximum: Limit?
        var multipleOf: Limit?
    }

    struct StringRules: Sendable {
        var minLength: Int?
        var maxLength: Int?
        var pattern: SchemaPattern?
    }

    struct ArrayRules: Sendable {
        var minItems: Int?
        var maxItems: Int?
        var uniqueItems = false
        /// `prefixItems`, or draft-07's array form of `items`.
        var prefixItems: [Int] = []
        /// The schema for items after `prefixItems` (`items`, or draft-07's `additionalItems`).
        var items: Int?
        var contains: Int?
        var minContains: Int?
        var maxContains: Int?
    }

    struct ObjectRules: Sendable {
        var required: [String] = []
        var properties: [String: Int] = [:]
        var patternProperties: [(pattern: SchemaPattern, node: Int)] = []
        var additionalProperties: Int?
        var propertyNames: Int?
        var minProperties: Int?
        var maxProperties: Int?
        /// `dependentRequired` (and draft-07's array form of `dependencies`): property → properties it needs.
        var dependentRequired: [(property: String, needs: [String])] = []
    }

    /// Subschemas applied to the same instance.
    struct Applicators: Sendable {
        var reference: Int?
        var allOf: [Int] = []
        var anyOf: [Int]?
        var oneOf: [Int]?
        var not: Int?
        var condition: Int?
        var then: Int?
        var otherwise: Int?

        var isEmpty: Bool {
            self.reference == nil && self.allOf.isEmpty && self.anyOf == nil && self.oneOf == nil && self.not == nil
                && self.condition == nil
        }

        /// Every subschema evaluated against the same instance: a cycle among these never ends.
        var sameLocation: [Int] {
            var nodes: [Int] = []
            if let reference = self.reference { nodes.append(reference) }
            nodes += self.allOf
            nodes += self.anyOf ?? []
            nodes += self.oneOf ?? []
            for node in [self.not, self.condition, self.then, self.otherwise] {
                if let node { nodes.append(node) }
            }
            return nodes
        }
    }
}
