/// One compiled (sub)schema. Subschemas are indexes into the compiled schema's node array, so that `$ref`
/// cycles through `properties` or `items` (recursive types) are plain back-references, not infinite values.
/// Every field is optional: an empty node is the `true` schema.
struct SchemaNode: Sendable {
    /// The `false` schema: nothing is valid.
    var rejectsEverything = false
    var types: SchemaTypes?
    var constant: Constant?
    var enumeration: Enumeration?
    var numeric: NumericRules?
    var string: StringRules?
    var array: ArrayRules?
    var object: ObjectRules?
    var applicators = Applicators()

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
