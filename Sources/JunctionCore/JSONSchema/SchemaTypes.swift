/// The JSON Schema `type` names, as a set.
struct SchemaTypes: OptionSet, Sendable {
    let rawValue: UInt8

    static let null = SchemaTypes(rawValue: 1 << 0)
    static let boolean = SchemaTypes(rawValue: 1 << 1)
    static let object = SchemaTypes(rawValue: 1 << 2)
    static let array = SchemaTypes(rawValue: 1 << 3)
    static let number = SchemaTypes(rawValue: 1 << 4)
    static let string = SchemaTypes(rawValue: 1 << 5)
    /// A number with no fractional part (1.0 is one).
    static let integer = SchemaTypes(rawValue: 1 << 6)

    /// In the order messages list them ("string or null").
    static let names: [(String, SchemaTypes)] = [
        ("string", .string), ("number", .number), ("integer", .integer), ("boolean", .boolean), ("object", .object),
        ("array", .array), ("null", .null),
    ]

    init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    init?(name: String) {
        guard let entry = Self.names.first(where: { $0.0 == name }) else { return nil }
        self = entry.1
    }

    /// "string", "string or null", "integer, string or null".
    var displayName: String {
        let names = Self.names.filter { self.contains($0.1) }.map(\.0)
        guard names.count > 1 else { return names.first ?? "nothing" }
        return names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
    }

    /// Whether `value` has one of these types.
    func admits(_ value: JSONValue) -> Bool {
        switch value {
        case .null: self.contains(.null)
        case .bool: self.contains(.boolean)
        case .object: self.contains(.object)
        case .array: self.contains(.array)
        case .string: self.contains(.string)
        case .number(let text):
            self.contains(.number)
                || (self.contains(.integer) && DecimalNumber(literal: text)?.isInteger == true)
        }
    }
}
