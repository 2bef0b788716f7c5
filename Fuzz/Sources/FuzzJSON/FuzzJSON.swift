import FuzzSupport
import JunctionCore

/// The JSON parser: whatever it accepts must serialize to text that parses back to the same value, and that text
/// must be a fixed point (serializing the re-parsed value gives the same bytes). Whatever it rejects must be
/// rejected with an offset inside the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let maxDepth = 32
    let value: JSONValue
    do {
        value = try JSONValue.parse(input.bytes, maxDepth: maxDepth)
    } catch {
        fuzzCheck(error.offset >= 0 && error.offset <= input.bytes.count, "error offset \(error.offset) out of range")
        return 0
    }
    let text = value.serialized()
    let reparsed: JSONValue
    do {
        reparsed = try JSONValue.parse(text, maxDepth: maxDepth)
    } catch {
        fuzzCheck(false, "serialized output does not parse: \(error): \(String(decoding: text, as: UTF8.self))")
        return 0
    }
    fuzzCheck(reparsed == value, "round trip changed the value: \(String(decoding: text, as: UTF8.self))")
    fuzzCheck(reparsed.serialized() == text, "serialization is not a fixed point")
    // Pretty text is for people, but it is JSON too and must mean the same.
    let pretty = try? JSONValue.parse(value.prettyText, maxDepth: maxDepth)
    fuzzCheck(pretty == value, "pretty text does not parse back to the value")
    return 0
}
