import FuzzSupport
import JunctionCore

/// The JSON Schema validator and canonical text. The input is a schema document, a 0x00 byte and an instance
/// document (without a 0x00, the document is validated against itself); a schema document that is a JSON string
/// is used as a `pattern` (and as the `propertyNames` pattern), to reach the pattern matcher directly.
///
/// Invariants: compiling and validating never crash or hang (libFuzzer's -timeout); a compile error names a place
/// in the schema; `isValid` agrees with `validate`, and with `validate(limit: 1)`; violations are at most the limit,
/// with JSON Pointer paths; validity does not depend on the key order of the instance or of the schema; canonical
/// text re-parses to a value with the same canonical text, is independent of key order, and `writeCanonical`
/// writes the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSchema(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let maxDepth = 64
    let separator = input.bytes.firstIndex(of: 0)
    let schemaBytes = Array(input.bytes[..<(separator ?? input.bytes.endIndex)])
    let instanceBytes = separator.map { Array(input.bytes[($0 + 1)...]) } ?? schemaBytes
    let document = try? JSONValue.parse(schemaBytes, maxDepth: maxDepth)
    let instance = try? JSONValue.parse(instanceBytes, maxDepth: maxDepth)
    for value in [document, instance] {
        if let value { checkCanonicalText(value, maxDepth: maxDepth) }
    }
    guard var document, let instance else { return 0 }
    if case .string(let pattern) = document {
        document = ["pattern": .string(pattern), "propertyNames": ["pattern": .string(pattern)]]
    }
    let schema: JSONSchema
    do {
        schema = try JSONSchema(compiling: document)
    } catch {
        fuzzCheck(error.message.hasPrefix("#") && error.message.contains(": "), "unplaced error: \(error.message)")
        fuzzCheck(
            (try? JSONSchema(compiling: reversingKeys(document))) == nil,
            "the schema compiles with its keys reversed: \(error.message)"
        )
        return 0
    }
    let violations = schema.validate(instance)
    let valid = violations.isEmpty
    fuzzCheck(violations.count <= 20, "\(violations.count) violations, more than the limit")
    fuzzCheck(schema.isValid(instance) == valid, "isValid disagrees with validate: \(violations)")
    let first = schema.validate(instance, limit: 1)
    fuzzCheck(first.count <= 1 && first.isEmpty == valid, "validate(limit: 1) disagrees: \(first)")
    for violation in violations {
        fuzzCheck(violation.path.isEmpty || violation.path.hasPrefix("/"), "path \(violation.path) is no pointer")
        fuzzCheck(!violation.keyword.isEmpty && !violation.message.isEmpty, "empty violation \(violation)")
    }
    fuzzCheck(schema.isValid(reversingKeys(instance)) == valid, "validity depends on the instance's key order")
    do {
        let reversed = try JSONSchema(compiling: reversingKeys(document))
        fuzzCheck(reversed.isValid(instance) == valid, "validity depends on the schema's key order")
    } catch {
        fuzzCheck(false, "the schema does not compile with its keys reversed: \(error.message)")
    }
    return 0
}

private func checkCanonicalText(_ value: JSONValue, maxDepth: Int) {
    let text = value.canonicalText
    var bytes: [UInt8] = []
    value.writeCanonical(to: &bytes)
    fuzzCheck(bytes == Array(text.utf8), "writeCanonical differs from canonicalText: \(text)")
    guard let reparsed = try? JSONValue.parse(bytes, maxDepth: maxDepth) else {
        fuzzCheck(false, "canonical text does not parse: \(text)")
        return
    }
    fuzzCheck(reparsed.canonicalText == text, "canonical text is not a fixed point: \(text)")
    fuzzCheck(reversingKeys(value).canonicalText == text, "canonical text depends on key order: \(text)")
}

/// The same value with every object's members in reverse order.
private func reversingKeys(_ value: JSONValue) -> JSONValue {
    switch value {
    case .array(let elements):
        return .array(elements.map(reversingKeys))
    case .object(let object):
        return .object(JSONObject(object.members.reversed().map { ($0.key, reversingKeys($0.value)) }))
    default:
        return value
    }
}
