extension SchemaRewrite {
    /// What Anthropic's structured outputs (`output_config.format`) support: the basic types, `enum` of
    /// primitives, `const`, `anyOf`, local `$ref` / `$defs` / `definitions`, `required`, `additionalProperties`
    /// (only `false`, and mandatory on every object), `default`, the listed string `format`s, `pattern`, and
    /// `minItems` of 0 or 1. Numeric bounds, string lengths, `maxItems` and recursive schemas are not supported.
    static let anthropicKeywords: Set<String> = [
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "anyOf", "$ref", "$defs",
        "definitions", "title", "description", "default", "format", "pattern", "minItems",
    ]
    static let anthropicFormats: Set<String> = [
        "date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid",
    ]

    /// The caller's schema as Anthropic's native JSON output format takes it, or nil when it cannot say it (the
    /// adapter then forces a tool whose `input_schema` is the schema as given).
    ///
    /// Objects that declare `properties` are closed with `additionalProperties: false` (narrowing), then
    /// unsupported constraints are dropped (widening; Anthropic's own SDKs do the same): the result accepts
    /// answers the original may reject, never the reverse on the closed objects, and the gateway validates against
    /// the original. Nil when the root is not an object, the schema recurses, refers outside itself, has an
    /// object it cannot close (no `properties`, or `additionalProperties` other than false: a map), a boolean
    /// subschema, or composition that makes closing unsafe (`allOf`, `oneOf`, `not`, `if`, ...).
    public static func anthropicOutputFormat(_ schema: JSONValue) -> JSONValue? {
        guard case .object(var root) = schema, Self.isObjectSchema(root), root["anyOf"] == nil,
            root["type"] == nil || root["type"] == "object"
        else { return nil }
        root["type"] = "object"
        let typed = JSONValue.object(root)
        guard !Self.hasNarrowingHazard(typed), !Self.isRecursive(typed), !Self.hasForeignReference(typed) else {
            return nil
        }
        let closed = Self.closingObjects(typed)
        guard Self.everyObjectClosed(closed) else { return nil }
        return Self.anthropicKeywordsOnly(closed)
    }

    /// A `$ref` that is not a resolvable local pointer.
    private static func hasForeignReference(_ schema: JSONValue) -> Bool {
        Self.anySchema(schema) { object in
            guard let reference = object["$ref"] else { return false }
            return reference.stringValue.flatMap { Self.resolve($0, in: schema) } == nil
        }
    }

    /// Every object schema says `additionalProperties: false`, and no other subschema is a boolean.
    private static func everyObjectClosed(_ schema: JSONValue) -> Bool {
        guard case .object(let object) = schema else { return false }
        if Self.isObjectSchema(object) || object["additionalProperties"] != nil {
            guard object["additionalProperties"] == false else { return false }
        }
        return Self.subschemas(of: object).allSatisfy { keyword, subschema in
            keyword == "additionalProperties" || Self.everyObjectClosed(subschema)
        }
    }

    private static func anthropicKeywordsOnly(_ schema: JSONValue) -> JSONValue {
        guard case .object(let object) = schema else { return schema }
        var kept = JSONObject()
        for member in object.members where Self.anthropicKeywords.contains(member.key) {
            kept.appendUnchecked(key: member.key, value: member.value)
        }
        if let minimum = kept["minItems"]?.intValue, minimum > 1 { kept["minItems"] = nil }
        if let format = kept["format"], !(format.stringValue.map(Self.anthropicFormats.contains) ?? false) {
            kept["format"] = nil
        }
        if case .array(let values)? = kept["enum"],
            values.contains(where: { $0.objectValue != nil || $0.arrayValue != nil })
        {
            kept["enum"] = nil
        }
        return .object(Self.mapSubschemas(kept) { _, subschema in Self.anthropicKeywordsOnly(subschema) })
    }
}
