import Testing

@testable import JunctionCore

@Suite("JSON parsing and writing")
struct JSONValueTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONValue.parse(#"{"a": [1, -2.5e3, true, false, null, "x"], "b": {}, "c": []}"#)
        #expect(value["a"] == .array([.number("1"), .number("-2.5e3"), true, false, .null, "x"]))
        #expect(value["b"] == .object(JSONObject()))
        #expect(value["c"] == .array([]))
    }

    @Test func keepsNumberLiteralsExactly() throws {
        let value = try JSONValue.parse("[12345678901234567890, 1.0, -0, 3E+2]")
        #expect(value.compactText == "[12345678901234567890,1.0,-0,3E+2]")
    }

    @Test func keepsObjectKeyOrderAndReplacesDuplicates() throws {
        let value = try JSONValue.parse(#"{"z": 1, "a": 2, "z": 3}"#)
        #expect(value.objectValue?.keys == ["z", "a"])
        #expect(value["z"] == .number("3"))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let value = try JSONValue.parse(#""a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00""#)
        #expect(value == .string("a\"b\\c/d\u{08}\u{0C}\n\r\té😀"))
    }

    @Test func acceptsRawUTF8InStrings() throws {
        #expect(try JSONValue.parse("\"héllo 世界\"") == .string("héllo 世界"))
    }

    @Test(arguments: [
        ("", JSONParseError.Reason.unexpectedEnd),
        ("{", .unexpectedEnd),
        ("[1,]", .unexpectedByte(UInt8(ascii: "]"))),
        ("{\"a\" 1}", .unexpectedByte(UInt8(ascii: "1"))),
        ("01", .trailingData),
        ("1.", .invalidNumber),
        ("-", .invalidNumber),
        ("tru", .unexpectedEnd),
        ("nul!", .unexpectedByte(UInt8(ascii: "!"))),
        ("\"\\x\"", .invalidEscape),
        ("\"\\ud800\"", .invalidUnicodeEscape),
        ("\"a\nb\"", .controlCharacterInString),
        ("[] []", .trailingData),
    ])
    func rejectsMalformedInput(text: String, reason: JSONParseError.Reason) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
        do {
            _ = try JSONValue.parse(text)
        } catch {
            #expect(error.reason == reason, "\(text)")
        }
    }

    @Test func rejectsInvalidUTF8() {
        let bytes: [UInt8] = [UInt8(ascii: "\""), 0xC3, 0x28, UInt8(ascii: "\"")]
        #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
        let overlong: [UInt8] = [UInt8(ascii: "\""), 0xE0, 0x80, 0xAF, UInt8(ascii: "\"")]
        #expect(throws: JSONParseError.self) { try JSONValue.parse(overlong) }
    }

    @Test func limitsNestingDepth() throws {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        do {
            _ = try JSONValue.parse(deep, maxDepth: 64)
            Issue.record("65 levels parsed with a limit of 64")
        } catch {
            #expect(error.reason == .tooDeep(limit: 64))
        }
        let allowed = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try JSONValue.parse(allowed, maxDepth: 64) }
        // Far deeper than any stack would survive unbounded: rejected, not a crash.
        let hostile = String(repeating: "[", count: 1_000_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(hostile, maxDepth: 64) }
    }

    /// Issue 8, defect 3: past `maxKeys` members an object is refused; below it, duplicates found through the
    /// hash index of a large object replace the earlier value in place, as they do in a small one.
    @Test func limitsKeysPerObjectAndKeepsDuplicateRulesInLargeObjects() throws {
        func object(_ keys: [String]) -> String {
            "{" + keys.enumerated().map { "\"\($0.element)\":\($0.offset)" }.joined(separator: ",") + "}"
        }
        let hundred = (0..<100).map { "k\($0)" }
        do {
            _ = try JSONValue.parse(object(hundred), maxKeys: 99)
            Issue.record("100 keys parsed with a limit of 99")
        } catch {
            #expect(error.reason == .tooManyKeys(limit: 99))
        }
        let parsed = try JSONValue.parse(object(hundred + ["k3", "k50", "k99"]), maxKeys: 100)
        let members = try #require(parsed.objectValue)
        #expect(members.count == 100)
        #expect(members.keys == hundred)
        #expect(members["k3"] == 100)
        #expect(members["k50"] == 101)
        #expect(members["k99"] == 102)
        #expect(members["k4"] == 4)
        // A duplicate among the first few keys, before the index exists, behaves the same.
        let small = try JSONValue.parse(#"{"a":1,"b":2,"a":3}"#)
        #expect(small.objectValue?.keys == ["a", "b"])
        #expect(small["a"] == 3)
    }

    @Test func compactOutputNeverContainsARawNewline() throws {
        let value: JSONValue = ["text": "line one\nline two\r\n\t\u{01}\"quoted\"\\", "n": 1]
        let bytes = value.serialized()
        #expect(!bytes.contains(UInt8(ascii: "\n")))
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"text":"line one\nline two\r\n\t\u0001\"quoted\"\\","n":1}"#)
        #expect(try JSONValue.parse(bytes) == value)
    }

    @Test func roundTripsThroughPrettyText() throws {
        let value: JSONValue = ["a": [1, 2, ["b": .null]], "c": "d", "e": [:], "f": []]
        #expect(try JSONValue.parse(value.prettyText) == value)
        #expect(value.prettyText.contains("\n  \"a\": ["))
    }

    @Test func convertsNumbers() {
        #expect(JSONValue.number("42").intValue == 42)
        #expect(JSONValue.number("4.0").intValue == 4)
        #expect(JSONValue.number("4.5").intValue == nil)
        #expect(JSONValue.string("4").intValue == nil)
        #expect(JSONValue.double(.infinity) == .null)
        #expect(JSONValue.double(2.5) == .number("2.5"))
    }
}
