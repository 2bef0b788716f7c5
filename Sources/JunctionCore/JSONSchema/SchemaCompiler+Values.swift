extension SchemaCompiler {
    /// `type`: one type name or a non-empty array of them.
    static func types(_ value: JSONValue, at location: String) throws(JSONSchemaError) -> SchemaTypes {
        let problem = "must be a type name (null, boolean, object, array, number, string, integer) or an array of them"
        switch value {
        case .string(let name):
            guard let type = SchemaTypes(name: name) else { throw JSONSchemaError(at: location, problem) }
            return type
        case .array(let names) where !names.isEmpty:
            var types: SchemaTypes = []
            for name in names {
                guard case .string(let text) = name, let type = SchemaTypes(name: text) else {
                    throw JSONSchemaError(at: location, problem)
                }
                types.insert(type)
            }
            return types
        default:
            throw JSONSchemaError(at: location, problem)
        }
    }

    /// `enum`: an array; its values are compared by canonical text.
    static func enumeration(_ value: JSONValue, at location: String) throws(JSONSchemaError) -> SchemaNode.Enumeration {
        guard case .array(let values) = value else { throw JSONSchemaError(at: location, "must be an array") }
        let shown = values.prefix(5).map { $0.excerpt(limit: 30) }.joined(separator: ", ")
        return SchemaNode.Enumeration(
            canonical: Set(values.map(\.canonicalBytes)),
            display: values.count > 5 ? shown + ", … (\(values.count) values)" : shown
        )
    }

    /// `minimum`, `maximum`, the exclusive bounds and `multipleOf`: a number.
    static func limit(_ value: JSONValue, at location: String) throws(JSONSchemaError) -> SchemaNode.Limit {
        guard case .number(let literal) = value, let decimal = DecimalNumber(literal: literal) else {
            if case .bool = value, location.hasSuffix("/exclusiveMinimum") || location.hasSuffix("/exclusiveMaximum") {
                throw JSONSchemaError(at: location, "must be a number (the draft-04 boolean form is not supported)")
            }
            throw JSONSchemaError(at: location, "must be a number")
        }
        return SchemaNode.Limit(value: decimal, literal: JSONValue.number(literal).excerpt())
    }

    /// `minLength` and the other counts: a non-negative integer (1.0 is one); huge values saturate.
    static func count(_ value: JSONValue, at location: String) throws(JSONSchemaError) -> Int {
        guard case .number(let literal) = value, let decimal = DecimalNumber(literal: literal), decimal.isInteger,
            decimal.signum >= 0
        else { throw JSONSchemaError(at: location, "must be a non-negative integer") }
        if decimal.isZero { return 0 }
        guard decimal.digits.count + decimal.exponent <= 18 else { return Int.max }
        var result = 0
        for digit in decimal.digits { result = result * 10 + Int(digit - UInt8(ascii: "0")) }
        for _ in 0..<decimal.exponent { result *= 10 }
        return result
    }

    /// `required`: an array of strings.
    static func strings(_ value: JSONValue, at location: String) throws(JSONSchemaError) -> [String] {
        guard case .array(let elements) = value else {
            throw JSONSchemaError(at: location, "must be an array of strings")
        }
        var strings: [String] = []
        strings.reserveCapacity(elements.count)
        for element in elements {
            guard case .string(let text) = element else {
                throw JSONSchemaError(at: location, "must be an array of strings")
            }
            strings.append(text)
        }
        return strings
    }

    /// `dependentRequired`: an object whose members are arrays of property names.
    static func dependentRequired(
        _ value: JSONValue,
        at location: String
    ) throws(JSONSchemaError) -> [(property: String, needs: [String])] {
        guard case .object(let object) = value else {
            throw JSONSchemaError(at: location, "must be an object of string arrays")
        }
        var entries: [(property: String, needs: [String])] = []
        for member in object.members {
            var at = location
            JSONPointer.append(member.key, to: &at)
            entries.append((member.key, try Self.strings(member.value, at: at)))
        }
        return entries
    }
}
