/// A JSON document held in memory.
///
/// Junction parses and writes JSON itself rather than through Foundation: the RPC hot path needs a nesting-depth
/// limit, exact echoing of request ids (numbers keep their literal text), object keys in their original order and
/// no bridging cost.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number, kept as its JSON literal text so that it round-trips exactly.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// A number from an integer.
    public static func int<I: BinaryInteger>(_ value: I) -> JSONValue {
        .number(String(value))
    }

    /// A number from a floating-point value; non-finite values become `null`, as JSON has no spelling for them.
    public static func double(_ value: Double) -> JSONValue {
        guard value.isFinite else { return .null }
        if value == value.rounded(), abs(value) < 1e15 {
            return .number(String(Int64(value)))
        }
        return .number(String(value))
    }

    /// The name of this value's JSON type, for error messages ("expected a string, got an array").
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The value as an integer, when it is a number with no fraction that fits in `Int`.
    public var intValue: Int? {
        guard case .number(let text) = self else { return nil }
        if let exact = Int(text) { return exact }
        guard let double = Double(text), double == double.rounded(), abs(double) < 9.0e15 else { return nil }
        return Int(double)
    }

    public var doubleValue: Double? {
        guard case .number(let text) = self else { return nil }
        return Double(text)
    }

    /// Looks up a member when this value is an object.
    public subscript(key: String) -> JSONValue? {
        self.objectValue?[key]
    }
}

/// A JSON object whose members keep the order in which they were written or inserted.
///
/// Objects in RPC traffic are small, so a linear scan beats hashing; keys are unique (a later duplicate in parsed
/// input replaces the earlier value, as most JSON parsers do).
public struct JSONObject: Sendable, Equatable {
    public private(set) var members: [Member]

    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JSONValue
    }

    public init() {
        self.members = []
    }

    public init(_ pairs: [(String, JSONValue)]) {
        self.members = []
        self.members.reserveCapacity(pairs.count)
        for (key, value) in pairs {
            self[key] = value
        }
    }

    public var count: Int { self.members.count }
    public var isEmpty: Bool { self.members.isEmpty }
    public var keys: [String] { self.members.map(\.key) }

    public subscript(key: String) -> JSONValue? {
        get {
            for member in self.members where member.key == key {
                return member.value
            }
            return nil
        }
        set {
            if let index = self.members.firstIndex(where: { $0.key == key }) {
                if let newValue {
                    self.members[index].value = newValue
                } else {
                    self.members.remove(at: index)
                }
            } else if let newValue {
                self.members.append(Member(key: key, value: newValue))
            }
        }
    }

    /// Appends a member without checking for an existing key; for builders that know their keys are unique.
    mutating func appendUnchecked(key: String, value: JSONValue) {
        self.members.append(Member(key: key, value: value))
    }

    /// Where the member with `key` is, if there is one.
    func position(of key: String) -> Int? {
        self.members.firstIndex { $0.key == key }
    }

    /// Replaces the value of the member at `position`, keeping its place.
    mutating func replaceValue(at position: Int, with value: JSONValue) {
        self.members[position].value = value
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByStringLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(String(value)) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }
}
