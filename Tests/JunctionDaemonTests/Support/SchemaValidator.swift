import JunctionCore

/// Just enough JSON Schema (draft 2020-12 keywords) to check Junction's OpenRPC examples and live answers:
/// type, const, enum, properties, required, additionalProperties, items, minimum, maximum.
enum SchemaValidator {
    /// Problems found; empty when `value` conforms.
    static func problems(_ value: JSONValue, against schema: JSONValue, path: String = "$") -> [String] {
        guard case .object(let rules) = schema else { return [] }
        var problems: [String] = []
        if let type = rules["type"] {
            let allowed = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue].compactMap { $0 }
            if !allowed.contains(where: { self.matches(value, type: $0) }) {
                problems.append("\(path): expected \(allowed.joined(separator: "|")), got \(value.typeName)")
                return problems
            }
        }
        if let constant = rules["const"], constant != value { problems.append("\(path): expected \(constant)") }
        if let options = rules["enum"]?.arrayValue, !options.contains(value) {
            problems.append("\(path): \(value) is not one of \(options)")
        }
        if let minimum = rules["minimum"]?.doubleValue, let number = value.doubleValue, number < minimum {
            problems.append("\(path): \(number) < \(minimum)")
        }
        if let maximum = rules["maximum"]?.doubleValue, let number = value.doubleValue, number > maximum {
            problems.append("\(path): \(number) > \(maximum)")
        }
        if case .object(let object) = value {
            let properties = rules["properties"]?.objectValue ?? JSONObject()
            for required in rules["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[required] == nil {
                problems.append("\(path): missing \(required)")
            }
            for member in object.members {
                if let propertySchema = properties[member.key] {
                    problems += self.problems(member.value, against: propertySchema, path: "\(path).\(member.key)")
                } else if rules["additionalProperties"] == false {
                    problems.append("\(path): unexpected property \(member.key)")
                }
            }
        }
        if case .array(let elements) = value, let items = rules["items"] {
            for (index, element) in elements.enumerated() {
                problems += self.problems(element, against: items, path: "\(path)[\(index)]")
            }
        }
        return problems
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object),
            ("number", .number):
            true
        case ("integer", .number): value.intValue != nil
        default: false
        }
    }
}
