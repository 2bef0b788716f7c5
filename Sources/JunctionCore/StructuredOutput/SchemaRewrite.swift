/// Pure rewrites of a caller's JSON Schema into what one provider's structured-output feature accepts.
///
/// Every rewrite keeps one of two promises, stated on each function: *narrowing* (every answer valid for the
/// rewritten schema is valid for the original) or *widening* (every answer valid for the original is valid for the
/// rewritten one). The gateway always validates the answer against the caller's original schema, so a widened
/// schema costs at most a repair, never a wrong answer.
///
/// The walkers know where JSON Schema (2020-12, and draft-07's `definitions`, array `items` and `additionalItems`)
/// keeps subschemas; values of `enum`, `const`, `default` and `examples` are data and never walked.
public enum SchemaRewrite {
    /// Keywords whose value is an object of subschemas.
    static let schemaMaps: Set<String> = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]
    /// Keywords whose value is one subschema (`items` may also be a draft-07 array of them).
    static let singleSchemas: Set<String> = [
        "items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
        "unevaluatedProperties", "unevaluatedItems", "additionalItems",
    ]
    /// Keywords whose value is an array of subschemas.
    static let schemaArrays: Set<String> = ["allOf", "anyOf", "oneOf", "prefixItems"]

    /// Keywords under which narrowing a subschema can make an answer *invalid* for the original (`not`, `oneOf`'s
    /// exclusivity, `if`, `maxContains`' count), or make a conjunction unsatisfiable (`allOf`, `$ref` with sibling
    /// constraints); with any of them in a schema, the rewrites that narrow leave it alone.
    static let narrowingHazards: Set<String> = [
        "allOf", "oneOf", "not", "if", "then", "else", "dependentSchemas", "unevaluatedProperties",
        "unevaluatedItems", "maxContains", "$dynamicRef", "$recursiveRef",
    ]

    /// Keywords that describe and never constrain.
    static let annotations: Set<String> = [
        "title", "description", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly",
    ]

    /// Applies `transform` to each immediate subschema of `object`, keeping member order. `transform` gets the
    /// keyword the subschema sits under (`properties`, `items`, `anyOf`, ...).
    static func mapSubschemas(
        _ object: JSONObject,
        _ transform: (_ keyword: String, _ subschema: JSONValue) -> JSONValue
    ) -> JSONObject {
        var result = JSONObject()
        for member in object.members {
            let key = member.key
            var value = member.value
            if Self.schemaMaps.contains(key), case .object(let map) = value {
                value = .object(JSONObject(map.members.map { ($0.key, transform(key, $0.value)) }))
            } else if Self.schemaArrays.contains(key) || key == "items", case .array(let elements) = value {
                value = .array(elements.map { transform(key, $0) })
            } else if Self.singleSchemas.contains(key), case .object = value {
                value = transform(key, value)
            } else if Self.singleSchemas.contains(key), case .bool = value {
                value = transform(key, value)
            }
            result.appendUnchecked(key: key, value: value)
        }
        return result
    }

    /// Every immediate subschema of `object`, with the keyword it sits under.
    static func subschemas(of object: JSONObject) -> [(keyword: String, schema: JSONValue)] {
        var found: [(keyword: String, schema: JSONValue)] = []
        _ = Self.mapSubschemas(object) { keyword, subschema in
            found.append((keyword, subschema))
            return subschema
        }
        return found
    }

    /// True when `test` holds for `schema` or any schema nested in it (data values excluded).
    static func anySchema(_ schema: JSONValue, _ test: (JSONObject) -> Bool) -> Bool {
        guard case .object(let object) = schema else { return false }
        if test(object) { return true }
        return Self.subschemas(of: object).contains { Self.anySchema($0.schema, test) }
    }

    /// True when narrowing subschemas of `schema` could break the promise of a narrowing rewrite (see
    /// `narrowingHazards`; a `$ref` with constraining siblings counts, annotations beside it do not).
    static func hasNarrowingHazard(_ schema: JSONValue) -> Bool {
        Self.anySchema(schema) { object in
            if object.keys.contains(where: Self.narrowingHazards.contains) { return true }
            if object["$ref"] != nil {
                return object.keys.contains { $0 != "$ref" && !$0.hasPrefix("$") && !Self.annotations.contains($0) }
            }
            return false
        }
    }

    /// An object schema: `type` is or includes "object", or it declares `properties`.
    static func isObjectSchema(_ object: JSONObject) -> Bool {
        if object["properties"] != nil { return true }
        switch object["type"] {
        case .string("object")?: return true
        case .array(let types)?: return types.contains("object")
        default: return false
        }
    }

    /// Adds `additionalProperties: false` to each object schema that declares `properties` and says nothing of
    /// other members. Narrowing, provided the schema has no narrowing hazard (callers check). Objects without
    /// `properties` are left open: closing them would allow only `{}`. Objects combined with `anyOf` or `$ref` at
    /// the same level are left open too: their members may be declared in the other branch.
    static func closingObjects(_ schema: JSONValue) -> JSONValue {
        guard case .object(let object) = schema else { return schema }
        var result = Self.mapSubschemas(object) { _, subschema in Self.closingObjects(subschema) }
        if object["properties"] != nil, object["additionalProperties"] == nil, object["anyOf"] == nil,
            object["$ref"] == nil
        {
            result["additionalProperties"] = false
        }
        return .object(result)
    }

    /// Follows a local reference (`#` or a JSON Pointer fragment such as `#/$defs/node`) inside `root`.
    /// Percent-encoding in the fragment is not decoded; `~1` and `~0` are.
    static func resolve(_ reference: String, in root: JSONValue) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        let pointer = reference.dropFirst()
        if pointer.isEmpty { return root }
        guard pointer.hasPrefix("/") else { return nil }  // an anchor (#name), not a pointer
        var current = root
        for token in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let name = String(token).replacing("~1", with: "/").replacing("~0", with: "~")
            switch current {
            case .object(let object):
                guard let next = object[name] else { return nil }
                current = next
            case .array(let elements):
                guard let index = Int(name), elements.indices.contains(index) else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }

    /// Whether `schema` accepts `null`, as far as its `type`, `enum`, `const`, `anyOf`, `oneOf`, `allOf` and local
    /// `$ref` tell (other keywords cannot forbid null). References are followed at most `depth` deep; past that
    /// the answer is yes, the cautious one for `removingStrictNulls`.
    static func allowsNull(_ schema: JSONValue, root: JSONValue, depth: Int = 32) -> Bool {
        var budget = 10_000
        return Self.allowsNull(schema, root: root, depth: depth, budget: &budget)
    }

    /// `budget` bounds the schemas looked at in all: shared references under `anyOf`/`allOf` could otherwise make
    /// the walk exponential; past it the answer is yes, the cautious one.
    private static func allowsNull(_ schema: JSONValue, root: JSONValue, depth: Int, budget: inout Int) -> Bool {
        guard case .object(let object) = schema else { return schema != false }
        budget -= 1
        guard depth > 0, budget > 0 else { return true }
        switch object["type"] {
        case .string(let type)? where type != "null": return false
        case .array(let types)? where !types.contains("null"): return false
        default: break
        }
        if case .array(let values)? = object["enum"], !values.contains(.null) { return false }
        if let constant = object["const"], constant != .null { return false }
        if case .array(let branches)? = object["anyOf"],
            !branches.contains(where: { Self.allowsNull($0, root: root, depth: depth - 1, budget: &budget) })
        {
            return false
        }
        if case .array(let branches)? = object["oneOf"],
            !branches.contains(where: { Self.allowsNull($0, root: root, depth: depth - 1, budget: &budget) })
        {
            return false
        }
        if case .array(let branches)? = object["allOf"],
            !branches.allSatisfy({ Self.allowsNull($0, root: root, depth: depth - 1, budget: &budget) })
        {
            return false
        }
        if let reference = object["$ref"]?.stringValue, let target = Self.resolve(reference, in: root) {
            return Self.allowsNull(target, root: root, depth: depth - 1, budget: &budget)
        }
        return true
    }

    /// Whether a local reference reachable from the root leads back into a schema it is evaluated from (a
    /// recursive schema). External references are not followed; `$defs` are entered only through references.
    static func isRecursive(_ schema: JSONValue) -> Bool {
        func references(in schema: JSONValue) -> [String] {
            guard case .object(let object) = schema else { return [] }
            var found = object["$ref"]?.stringValue.map { [$0] } ?? []
            let walked = Self.subschemas(of: object).filter { $0.keyword != "$defs" && $0.keyword != "definitions" }
            for (_, subschema) in walked {
                found += references(in: subschema)
            }
            return found
        }
        // Pointers fully explored without finding a loop: shared definitions are walked once, not once a path.
        var explored: Set<String> = []
        func loops(from pointer: String, stack: [String]) -> Bool {
            guard !explored.contains(pointer) else { return false }
            guard stack.count < 64, let target = Self.resolve(pointer, in: schema) else { return stack.count >= 64 }
            for reference in references(in: target) where reference.hasPrefix("#") {
                if stack.contains(where: { $0 == reference || Self.contains(pointer: $0, within: reference) }) {
                    return true
                }
                if loops(from: reference, stack: stack + [reference]) { return true }
            }
            explored.insert(pointer)
            return false
        }
        return loops(from: "#", stack: ["#"])
    }

    /// True when the schema at `pointer` lies inside the one at `outer` (`#` contains everything).
    static func contains(pointer: String, within outer: String) -> Bool {
        outer == "#" || pointer.hasPrefix(outer + "/")
    }
}
