extension SchemaCompiler {
    /// Compiles the keywords of one schema object. Keywords it does not know (and the annotations `title`,
    /// `description`, `default`, `examples`, `format`, `$comment`, `$schema`, `$id`) are ignored, as JSON Schema
    /// says.
    mutating func buildObject(
        _ object: JSONObject,
        at location: String,
        depth: Int
    ) throws(JSONSchemaError) -> SchemaNode {
        var node = SchemaNode()
        var applicators = SchemaNode.Applicators()
        var numeric = SchemaNode.NumericRules()
        var string = SchemaNode.StringRules()
        var array = SchemaNode.ArrayRules()
        var objectRules = SchemaNode.ObjectRules()
        var used: Set<String> = []
        var items: JSONValue?
        var additionalItems: JSONValue?
        for member in object.members {
            let at = location + "/" + member.key
            let value = member.value
            let child = depth + 1
            switch member.key {
            case "type": node.types = try Self.types(value, at: at)
            case "enum": node.enumeration = .init(try Self.enumeration(value, at: at))
            case "const": node.constant = .init(.init(canonical: value.canonicalBytes, display: value.excerpt()))
            case "minimum": numeric.minimum = try Self.limit(value, at: at)
            case "maximum": numeric.maximum = try Self.limit(value, at: at)
            case "exclusiveMinimum": numeric.exclusiveMinimum = try Self.limit(value, at: at)
            case "exclusiveMaximum": numeric.exclusiveMaximum = try Self.limit(value, at: at)
            case "multipleOf":
                let limit = try Self.limit(value, at: at)
                guard limit.value.signum > 0 else { throw JSONSchemaError(at: at, "must be greater than 0") }
                numeric.multipleOf = limit
            case "minLength": string.minLength = try Self.count(value, at: at)
            case "maxLength": string.maxLength = try Self.count(value, at: at)
            case "pattern":
                guard case .string(let source) = value else { throw JSONSchemaError(at: at, "must be a string") }
                string.pattern = try self.pattern(source, at: at)
            case "minItems": array.minItems = try Self.count(value, at: at)
            case "maxItems": array.maxItems = try Self.count(value, at: at)
            case "uniqueItems":
                guard case .bool(let flag) = value else { throw JSONSchemaError(at: at, "must be a boolean") }
                array.uniqueItems = flag
            case "prefixItems": array.prefixItems = try self.subschemas(value, at: at, depth: child)
            case "items": items = value
            case "additionalItems": additionalItems = value
            case "contains": array.contains = try self.subschema(value, at: at, depth: child)
            case "minContains": array.minContains = try Self.count(value, at: at)
            case "maxContains": array.maxContains = try Self.count(value, at: at)
            case "required": objectRules.required = try Self.strings(value, at: at)
            case "properties": objectRules.properties = try self.namedSubschemas(value, at: at, depth: child)
            case "patternProperties":
                objectRules.patternProperties = try self.patternSubschemas(value, at: at, depth: child)
            case "additionalProperties":
                objectRules.additionalProperties = try self.subschema(value, at: at, depth: child)
            case "propertyNames": objectRules.propertyNames = try self.subschema(value, at: at, depth: child)
            case "minProperties": objectRules.minProperties = try Self.count(value, at: at)
            case "maxProperties": objectRules.maxProperties = try Self.count(value, at: at)
            case "dependentRequired": objectRules.dependentRequired = try Self.dependentRequired(value, at: at)
            case "allOf": applicators.allOf = try self.subschemas(value, at: at, depth: child)
            case "anyOf": applicators.anyOf = try self.subschemas(value, at: at, depth: child)
            case "oneOf": applicators.oneOf = try self.subschemas(value, at: at, depth: child)
            case "not": applicators.not = try self.subschema(value, at: at, depth: child)
            case "if": applicators.condition = try self.subschema(value, at: at, depth: child)
            case "then": applicators.then = try self.subschema(value, at: at, depth: child)
            case "else": applicators.otherwise = try self.subschema(value, at: at, depth: child)
            case "$ref":
                guard case .string(let reference) = value else { throw JSONSchemaError(at: at, "must be a string") }
                applicators.reference = try self.reference(reference, at: at)
            case "$defs", "definitions":
                // Compiled although perhaps never referenced: a broken definition is an error either way.
                _ = try self.namedSubschemas(value, at: at, depth: child)
            default:
                continue
            }
            used.insert(member.key)
        }
        if let items {
            let at = location + "/items"
            if case .array = items {
                // Draft-07's tuple form: `items` is the prefix, `additionalItems` the rest.
                guard !used.contains("prefixItems") else {
                    throw JSONSchemaError(at: at, "an array of schemas cannot be combined with prefixItems")
                }
                array.prefixItems = try self.subschemas(items, at: at, depth: depth + 1)
                if let additionalItems {
                    let at = location + "/additionalItems"
                    array.items = try self.subschema(additionalItems, at: at, depth: depth + 1)
                }
            } else {
                array.items = try self.subschema(items, at: at, depth: depth + 1)
            }
        }
        if applicators.condition == nil {
            // `then` and `else` mean nothing without `if`.
            applicators.then = nil
            applicators.otherwise = nil
        }
        let keys = used
        func uses(_ names: String...) -> Bool { names.contains { keys.contains($0) } }
        if uses("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf") {
            node.numeric = .init(numeric)
        }
        if uses("minLength", "maxLength", "pattern") { node.string = .init(string) }
        if uses("minItems", "maxItems", "uniqueItems", "prefixItems", "items", "contains", "maxContains") {
            node.array = .init(array)
        }
        if uses(
            "required", "properties", "patternProperties", "additionalProperties", "propertyNames", "minProperties",
            "maxProperties", "dependentRequired")
        {
            node.object = .init(objectRules)
        }
        if !applicators.isEmpty { node.applicators = .init(applicators) }
        return node
    }

    // MARK: Subschema containers

    /// A non-empty array of schemas (`allOf`, `anyOf`, `oneOf`, `prefixItems`, tuple `items`).
    private mutating func subschemas(
        _ value: JSONValue,
        at location: String,
        depth: Int
    ) throws(JSONSchemaError) -> [Int] {
        guard case .array(let elements) = value, !elements.isEmpty else {
            throw JSONSchemaError(at: location, "must be a non-empty array of schemas")
        }
        var nodes: [Int] = []
        nodes.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            nodes.append(try self.subschema(element, at: "\(location)/\(index)", depth: depth))
        }
        return nodes
    }

    /// An object whose members are schemas (`properties`, `$defs`).
    private mutating func namedSubschemas(
        _ value: JSONValue,
        at location: String,
        depth: Int
    ) throws(JSONSchemaError) -> [String: Int] {
        guard case .object(let object) = value else {
            throw JSONSchemaError(at: location, "must be an object of schemas")
        }
        var nodes: [String: Int] = [:]
        nodes.reserveCapacity(object.count)
        for member in object.members {
            var at = location
            JSONPointer.append(member.key, to: &at)
            nodes[member.key] = try self.subschema(member.value, at: at, depth: depth)
        }
        return nodes
    }

    /// `patternProperties`: keys are patterns, values schemas.
    private mutating func patternSubschemas(
        _ value: JSONValue,
        at location: String,
        depth: Int
    ) throws(JSONSchemaError) -> [(pattern: SchemaPattern, node: Int)] {
        guard case .object(let object) = value else {
            throw JSONSchemaError(at: location, "must be an object of schemas")
        }
        var entries: [(pattern: SchemaPattern, node: Int)] = []
        for member in object.members {
            var at = location
            JSONPointer.append(member.key, to: &at)
            let pattern = try self.pattern(member.key, at: at)
            entries.append((pattern, try self.subschema(member.value, at: at, depth: depth)))
        }
        return entries
    }
}
