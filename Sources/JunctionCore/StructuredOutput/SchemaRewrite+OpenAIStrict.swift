/// What to send as OpenAI's `response_format.json_schema`: the schema and its `strict` flag.
public struct OpenAIStrictSchema: Sendable, Equatable {
    /// The schema to send: the caller's, closed and possibly rewritten (see `SchemaRewrite.openAIStrict`).
    public var schema: JSONValue
    /// The `strict` flag to send.
    public var strict: Bool
    /// Optional properties were made required and nullable (OpenAI's recipe for optional fields in strict mode):
    /// pass answers through `SchemaRewrite.removingStrictNulls` before validating them against the original.
    public var madeOptionalsNullable: Bool

    public init(schema: JSONValue, strict: Bool, madeOptionalsNullable: Bool = false) {
        self.schema = schema
        self.strict = strict
        self.madeOptionalsNullable = madeOptionalsNullable
    }
}

extension SchemaRewrite {
    /// The keywords OpenAI's strict mode accepts (its "supported schemas" subset): structure, `anyOf`, local
    /// `$ref` / `$defs`, `enum` / `const`, the string keywords `pattern` and `format`, the number bounds and
    /// `multipleOf`, and `minItems` / `maxItems`. `allOf`, `oneOf`, `not`, `if`/`then`/`else`,
    /// `dependentRequired`, `dependentSchemas`, `patternProperties`, string lengths, `uniqueItems` and the like are
    /// rejected with strict on.
    static let openAIStrictKeywords: Set<String> = [
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "anyOf", "$ref",
        "$defs", "definitions", "title", "description", "pattern", "format", "multipleOf", "maximum",
        "exclusiveMaximum", "minimum", "exclusiveMinimum", "minItems", "maxItems",
    ]
    static let openAIFormats: Set<String> = [
        "date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid",
    ]
    static let openAITypes: Set<String> = ["string", "number", "integer", "boolean", "object", "array", "null"]
    /// Annotations strict mode does not list and that never change which answers are valid: dropped when the
    /// schema is sent strict.
    static let openAIDroppedAnnotations: Set<String> = [
        "$schema", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly",
    ]

    /// OpenAI's "strict where the schema allows it".
    ///
    /// - `strict == false`: the schema as given, strict off.
    /// - Otherwise every object schema that declares `properties` and lacks `additionalProperties` gets
    ///   `additionalProperties: false` (narrowing: every answer stays valid for the original; skipped for schemas
    ///   whose composition makes narrowing unsafe, see `hasNarrowingHazard`). Then, when the root is an object
    ///   (not an `anyOf`), every object is closed and only strict-mode keywords remain (annotations strict mode
    ///   does not know are dropped):
    ///   - every property required everywhere: strict on;
    ///   - optional properties and `strict == true`: each optional property becomes required with `null` added
    ///     to its type (OpenAI's documented recipe), strict on, `madeOptionalsNullable`;
    ///   - optional properties and `strict == nil`: the closed schema with strict off.
    /// - A schema strict mode cannot take is sent closed with strict off, whatever the caller asked: the gateway's
    ///   validation stands in for the provider's guarantee.
    public static func openAIStrict(_ schema: JSONValue, strict: Bool?) -> OpenAIStrictSchema {
        guard strict != false, case .object = schema, !Self.hasNarrowingHazard(schema) else {
            return OpenAIStrictSchema(schema: schema, strict: false)
        }
        let closed = Self.closingObjects(schema)
        let candidate = Self.dropping(Self.openAIDroppedAnnotations, from: closed)
        guard Self.isStrictRoot(candidate), Self.fitsStrictMode(candidate, root: candidate) else {
            return OpenAIStrictSchema(schema: closed, strict: false)
        }
        guard Self.hasOptionalProperties(candidate) else {
            return OpenAIStrictSchema(schema: candidate, strict: true)
        }
        guard strict == true else { return OpenAIStrictSchema(schema: closed, strict: false) }
        return OpenAIStrictSchema(
            schema: Self.requiringOptionalsAsNullable(candidate, root: candidate), strict: true,
            madeOptionalsNullable: true
        )
    }

    /// Removes `keywords` from `schema` and every schema nested in it.
    static func dropping(_ keywords: Set<String>, from schema: JSONValue) -> JSONValue {
        guard case .object(let object) = schema else { return schema }
        var result = Self.mapSubschemas(object) { _, subschema in Self.dropping(keywords, from: subschema) }
        for keyword in keywords { result[keyword] = nil }
        return .object(result)
    }

    /// The root must be an object schema of `type: "object"`, not an `anyOf`.
    private static func isStrictRoot(_ schema: JSONValue) -> Bool {
        schema["type"] == "object" && schema["anyOf"] == nil
    }

    /// Whether `schema` and everything in it is in strict mode's subset, with every object closed.
    private static func fitsStrictMode(_ schema: JSONValue, root: JSONValue) -> Bool {
        guard case .object(let object) = schema else { return false }  // boolean schemas are not in the subset
        guard object.keys.allSatisfy(Self.openAIStrictKeywords.contains) else { return false }
        switch object["type"] {
        case nil: break
        case .string(let type)?: guard Self.openAITypes.contains(type) else { return false }
        case .array(let types)?:
            guard !types.isEmpty, types.allSatisfy({ $0.stringValue.map(Self.openAITypes.contains) ?? false }) else {
                return false
            }
        default: return false
        }
        if let format = object["format"] {
            guard let name = format.stringValue, Self.openAIFormats.contains(name) else { return false }
        }
        if let reference = object["$ref"] {
            guard let text = reference.stringValue, Self.resolve(text, in: root) != nil else { return false }
        }
        if Self.isObjectSchema(object) {
            guard object["additionalProperties"] == false, case .object(let properties)? = object["properties"] else {
                return false
            }
            let required = object["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
            guard required.allSatisfy({ properties[$0] != nil }) else { return false }
        }
        if let items = object["items"], items.objectValue == nil { return false }
        if let additional = object["additionalProperties"], additional != false { return false }
        return Self.subschemas(of: object).allSatisfy { keyword, subschema in
            keyword == "additionalProperties" || Self.fitsStrictMode(subschema, root: root)
        }
    }

    /// Whether any object schema in `schema` has a property its `required` leaves out.
    private static func hasOptionalProperties(_ schema: JSONValue) -> Bool {
        Self.anySchema(schema) { object in
            guard case .object(let properties)? = object["properties"] else { return false }
            let required = Set(object["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            return properties.keys.contains { !required.contains($0) }
        }
    }

    /// Every property required, those that were optional made nullable (already nullable ones kept as they are).
    private static func requiringOptionalsAsNullable(_ schema: JSONValue, root: JSONValue) -> JSONValue {
        guard case .object(let object) = schema else { return schema }
        var result = Self.mapSubschemas(object) { _, subschema in
            Self.requiringOptionalsAsNullable(subschema, root: root)
        }
        guard case .object(let properties)? = result["properties"] else { return .object(result) }
        let required = Set(object["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        var rewritten = JSONObject()
        for member in properties.members {
            let optional = !required.contains(member.key)
            let value = optional ? Self.nullable(member.value, root: root) : member.value
            rewritten.appendUnchecked(key: member.key, value: value)
        }
        result["properties"] = .object(rewritten)
        result["required"] = .array(properties.keys.map(JSONValue.string))
        return .object(result)
    }

    /// `schema` that also accepts `null`: `null` added to `type` (and to `enum`), or an `anyOf` branch
    /// `{"type": "null"}` for references, `const` and `anyOf` schemas.
    static func nullable(_ schema: JSONValue, root: JSONValue) -> JSONValue {
        guard case .object(var object) = schema, !Self.allowsNull(schema, root: root) else { return schema }
        let null: JSONValue = ["type": "null"]
        if object["$ref"] != nil || object["const"] != nil || (object["anyOf"] != nil && object["type"] != nil) {
            return ["anyOf": [schema, null]]
        }
        if case .array(let branches)? = object["anyOf"], object["type"] == nil {
            object["anyOf"] = .array(branches + [null])
            return .object(object)
        }
        switch object["type"] {
        case .string(let type)?: object["type"] = [.string(type), "null"]
        case .array(let types)?: object["type"] = .array(types + ["null"])
        default: return ["anyOf": [schema, null]]
        }
        if case .array(let values)? = object["enum"] { object["enum"] = .array(values + [.null]) }
        return .object(object)
    }
}
