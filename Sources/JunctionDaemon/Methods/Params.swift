import JunctionCore
import JunctionRPC

/// Typed, validated access to a method's params object.
///
/// Every problem becomes -32602 with `data.field` naming the parameter, so a caller never has to guess what was
/// wrong. Unknown parameters are rejected too: a misspelt option silently ignored is a bug waiting to happen.
struct Params {
    private let object: JSONObject

    /// - Parameter known: every parameter the method accepts.
    init(_ params: JSONValue?, known: Set<String>) throws(RPCError) {
        switch params {
        case nil: self.object = JSONObject()
        case .object(let object)?: self.object = object
        case .array(let elements)? where elements.isEmpty: self.object = JSONObject()
        case let other?:
            throw .invalidParams(field: "", problem: "must be an object with named parameters, got \(other.typeName)")
        }
        for key in self.object.keys where !known.contains(key) {
            throw .invalidParams(
                field: key,
                problem: "is not a parameter of this method (expected one of: \(known.sorted().joined(separator: ", ")))"
            )
        }
    }

    func value(_ key: String) -> JSONValue? {
        self.object[key]
    }

    func string(_ key: String) throws(RPCError) -> String? {
        guard let value = self.object[key], value != .null else { return nil }
        guard let text = value.stringValue else { throw .invalidParams(field: key, problem: "must be a string") }
        return text
    }

    func bool(_ key: String) throws(RPCError) -> Bool? {
        guard let value = self.object[key], value != .null else { return nil }
        guard let flag = value.boolValue else { throw .invalidParams(field: key, problem: "must be true or false") }
        return flag
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(RPCError) -> Int? {
        guard let value = self.object[key], value != .null else { return nil }
        guard let number = value.intValue else { throw .invalidParams(field: key, problem: "must be an integer") }
        guard range.contains(number) else {
            throw .invalidParams(
                field: key,
                problem: "must be between \(range.lowerBound) and \(range.upperBound), got \(number)"
            )
        }
        return number
    }

    func required<T>(_ key: String, _ read: (String) throws(RPCError) -> T?) throws(RPCError) -> T {
        guard let value = try read(key) else { throw .invalidParams(field: key, problem: "is required") }
        return value
    }
}
