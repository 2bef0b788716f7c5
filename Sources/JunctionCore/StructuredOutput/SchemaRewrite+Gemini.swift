extension SchemaRewrite {
    /// What Gemini's `generationConfig.responseJsonSchema` supports, per its API reference: `$id`, `$defs`, `$ref`,
    /// `$anchor`, `type`, `format`, `title`, `description`, `enum` (strings and numbers), `items`, `prefixItems`,
    /// `minItems`, `maxItems`, `minimum`, `maximum`, `anyOf`, `oneOf` (read as `anyOf`), `properties`,
    /// `additionalProperties`, `required` and the non-standard `propertyOrdering`.
    static let geminiKeywords: Set<String> = [
        "$id", "$defs", "$ref", "$anchor", "type", "format", "title", "description", "enum", "items", "prefixItems",
        "minItems", "maxItems", "minimum", "maximum", "anyOf", "oneOf", "properties", "additionalProperties",
        "required", "propertyOrdering",
    ]

    /// The caller's schema as Gemini's `responseJsonSchema` takes it. Widening: every answer valid for the original
    /// is valid for the result (the gateway validates against the original).
    ///
    /// - Local references that do not recurse are inlined (the target replaces the `$ref`, keeping a `title` or
    ///   `description` written beside it), so `$defs` only remain for recursive schemas; draft-07 `definitions`
    ///   at the root become `$defs`.
    /// - A recursive reference stays a `$ref`, alone (Gemini allows nothing but `$` keywords beside one), and any
    ///   property whose subschema contains one is no longer required: Gemini unrolls cycles a few levels deep and
    ///   accepts them only under optional properties.
    /// - `const` of a string or number becomes a one-value `enum`; an `enum` with other values is dropped; a
    ///   draft-07 `items` array becomes `prefixItems`; `true` subschemas become `{}`.
    /// - Every other keyword is dropped, with the subschemas under it (`allOf`, `not`, `if`, `pattern`,
    ///   `minLength`, `exclusiveMinimum`, `multipleOf`, `patternProperties`, `uniqueItems`, `default`, ...).
    ///   Dropping widens: the keywords that could make dropping narrow (`not`, `if`, ...) are dropped whole.
    public static func gemini(_ schema: JSONValue) -> JSONValue {
        guard case .object = schema else { return schema }
        let renamed = Self.renamingDefinitions(schema)
        var budget = 10_000
        let inlined = Self.inliningReferences(renamed, root: renamed, stack: ["#"], budget: &budget)
        let filtered = Self.geminiKeywordsOnly(inlined)
        let relaxed = Self.unrequiringRecursiveProperties(filtered)
        guard case .object(var object) = relaxed else { return relaxed }
        if !Self.anySchema(.object(object), { $0["$ref"] != nil }) { object["$defs"] = nil }
        return .object(object)
    }

    /// Moves root-level `definitions` into `$defs` (existing `$defs` entries win) and points references at them.
    private static func renamingDefinitions(_ schema: JSONValue) -> JSONValue {
        guard case .object(var root) = schema, case .object(let definitions)? = root["definitions"] else {
            return schema
        }
        var defs = root["$defs"]?.objectValue ?? JSONObject()
        for member in definitions.members where defs[member.key] == nil {
            defs[member.key] = member.value
        }
        root["definitions"] = nil
        root["$defs"] = .object(defs)
        func repoint(_ schema: JSONValue) -> JSONValue {
            guard case .object(let object) = schema else { return schema }
            var result = Self.mapSubschemas(object) { _, subschema in repoint(subschema) }
            if let reference = object["$ref"]?.stringValue, reference.hasPrefix("#/definitions/") {
                result["$ref"] = .string("#/$defs/" + reference.dropFirst("#/definitions/".count))
            }
            return .object(result)
        }
        return repoint(.object(root))
    }

    /// Replaces each local reference that does not lead back into a schema being inlined (`stack`) by its
    /// target, inlined in turn; `budget` bounds the work (references past it stay as they are, still valid since
    /// `$defs` are kept when references remain).
    private static func inliningReferences(
        _ schema: JSONValue, root: JSONValue, stack: [String], budget: inout Int
    ) -> JSONValue {
        guard case .object(let object) = schema else { return schema }
        budget -= 1
        if let reference = object["$ref"]?.stringValue, reference.hasPrefix("#"), budget > 0,
            !stack.contains(where: { $0 == reference || Self.contains(pointer: $0, within: reference) }),
            case .object(var target)? = Self.resolve(reference, in: root)
        {
            // The inlined target must not carry its own `$defs` twice; the root keeps the only copy.
            target["$defs"] = nil
            for keyword in ["title", "description"] where target[keyword] == nil {
                target[keyword] = object[keyword]
            }
            return Self.inliningReferences(.object(target), root: root, stack: stack + [reference], budget: &budget)
        }
        var result = JSONObject()
        for member in object.members {
            var value = member.value
            if member.key == "$defs" {
                // Definitions are inlined where they are used; those still referenced are walked for their own
                // references, with themselves on the stack.
                if case .object(let defs) = value {
                    var walked = JSONObject()
                    for def in defs.members {
                        let pointer = "#/$defs/" + def.key.replacing("~", with: "~0").replacing("/", with: "~1")
                        let inner = Self.inliningReferences(
                            def.value, root: root, stack: stack + [pointer], budget: &budget
                        )
                        walked.appendUnchecked(key: def.key, value: inner)
                    }
                    value = .object(walked)
                }
            } else {
                value = Self.mapSubschemas(JSONObject([(member.key, value)])) { _, subschema in
                    Self.inliningReferences(subschema, root: root, stack: stack, budget: &budget)
                }[member.key] ?? value
            }
            result.appendUnchecked(key: member.key, value: value)
        }
        return .object(result)
    }

    /// Keeps only the keywords Gemini supports, converting the ones it can say another way.
    private static func geminiKeywordsOnly(_ schema: JSONValue) -> JSONValue {
        guard case .object(var object) = schema else { return schema == true ? .object(JSONObject()) : schema }
        if object["$ref"] != nil {
            // Gemini allows only `$` keywords beside a reference; dropping the others widens.
            object = JSONObject(object.members.filter { $0.key.hasPrefix("$") }.map { ($0.key, $0.value) })
        }
        if let constant = object["const"], object["enum"] == nil, Self.isGeminiEnumValue(constant) {
            object["enum"] = [constant]
        }
        if case .array(let values)? = object["enum"], !values.allSatisfy(Self.isGeminiEnumValue) {
            object["enum"] = nil
        }
        if case .array(let tuple)? = object["items"] {
            object["items"] = nil
            if object["prefixItems"] == nil { object["prefixItems"] = .array(tuple) }
        }
        var kept = JSONObject()
        for member in object.members where Self.geminiKeywords.contains(member.key) {
            kept.appendUnchecked(key: member.key, value: member.value)
        }
        var result = Self.mapSubschemas(kept) { keyword, subschema in
            // `false` is meaningful (and supported) only as `additionalProperties`; elsewhere it is widened to `{}`.
            if keyword != "additionalProperties", subschema == false { return .object(JSONObject()) }
            return Self.geminiKeywordsOnly(subschema)
        }
        if result["additionalProperties"] == true { result["additionalProperties"] = nil }
        return .object(result)
    }

    private static func isGeminiEnumValue(_ value: JSONValue) -> Bool {
        switch value {
        case .string, .number: true
        default: false
        }
    }

    /// Takes out of `required` every property whose subschema holds a `$ref` (after inlining, only recursive
    /// ones are left).
    private static func unrequiringRecursiveProperties(_ schema: JSONValue) -> JSONValue {
        guard case .object(let object) = schema else { return schema }
        var result = Self.mapSubschemas(object) { _, subschema in Self.unrequiringRecursiveProperties(subschema) }
        guard case .object(let properties)? = object["properties"], case .array(let required)? = object["required"]
        else { return .object(result) }
        let kept = required.filter { name in
            guard let key = name.stringValue, let property = properties[key] else { return true }
            return !Self.anySchema(property) { $0["$ref"] != nil }
        }
        result["required"] = .array(kept)
        return .object(result)
    }
}
