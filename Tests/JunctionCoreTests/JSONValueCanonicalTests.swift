import Testing

@testable import JunctionCore

@Suite("JSONValue canonical text")
struct JSONValueCanonicalTests {
    @Test(arguments: [
        ("1", "1"), ("1.0", "1"), ("1e0", "1"), ("10e-1", "1"), ("0.1e1", "1"), ("100E-2", "1"),
        ("-0", "0"), ("-0.0", "0"), ("0e10", "0"), ("1E2", "100"), ("-1.50e2", "-150"),
        ("0.50", "0.5"), ("-0.25", "-0.25"), ("1e-7", "1e-07"), ("2.99999999999999999999", "3"),
        ("9223372036854775807", "9223372036854775807"), ("-9223372036854775808", "-9223372036854775808"),
        ("12345678901234567890123.000", "12345678901234567890123"), ("1e20", "100000000000000000000"),
        ("1e1000", "1e1000"), ("1.5e1000", "15e999"), ("1e-400", "1e-400"), ("-1.23e-400", "-123e-402"),
    ])
    func numbersHaveOneSpelling(literal: String, canonical: String) {
        #expect(JSONValue.number(literal).canonicalText == canonical, "\(literal)")
    }

    @Test func largeIntegersKeepEveryDigit() {
        // Through Double, 2^63 + 1 would come back as 9223372036854775808.
        #expect(JSONValue.number("9223372036854775809").canonicalText == "9223372036854775809")
        #expect(JSONValue.number("123456789012345678901234567890").canonicalText == "123456789012345678901234567890")
    }

    @Test func objectKeysAreSortedByTheirBytes() throws {
        let value = try JSONValue.parse(#"{"b": 1, "a": {"z": true, "é": null, "Z": []}, "": "x"}"#)
        #expect(value.canonicalText == #"{"":"x","a":{"Z":[],"z":true,"é":null},"b":1}"#)
    }

    @Test func independentOfKeyOrderWhitespaceAndNumberSpelling() throws {
        let first = try JSONValue.parse(#"{"a": [1.0, 2e0, {"y": 0.50, "x": -0}], "b": "t"}"#)
        let second = try JSONValue.parse(#"{ "b":"t",  "a":[ 1, 2, { "x":0, "y":0.5 } ] }"#)
        #expect(first != second)
        #expect(first.canonicalText == second.canonicalText)
        #expect(first.canonicalText == #"{"a":[1,2,{"x":0,"y":0.5}],"b":"t"}"#)
    }

    @Test func stringsAreEscapedAsCompactTextEscapesThem() {
        let value = JSONValue.string("a\"b\\c\nd\u{01}é")
        #expect(value.canonicalText == value.compactText)
        #expect(value.canonicalText == #""a\"b\\c\nd\u0001é""#)
    }

    @Test func arraysKeepTheirOrder() {
        #expect(JSONValue.array([2, 1, .null, false]).canonicalText == "[2,1,null,false]")
    }

    @Test func writeCanonicalAppendsTheSameBytes() throws {
        let value = try JSONValue.parse(#"{"k": [1.0, "v"], "a": 1e2}"#)
        var output: [UInt8] = Array("prefix:".utf8)
        value.writeCanonical(to: &output)
        #expect(output == Array("prefix:".utf8) + Array(value.canonicalText.utf8))
    }

    @Test(arguments: [
        "0.1", "1e-7", "5e-324", "1.7976931348623157e308", "123456789012345678901234.5", "1e1000", "-1e-400",
        "0.30000000000000004", "9007199254740993", "1e513", "1e512", "2.5e-3",
    ])
    func canonicalTextIsAFixedPoint(literal: String) throws {
        let canonical = JSONValue.number(literal).canonicalText
        let reparsed = try JSONValue.parse(canonical)
        #expect(reparsed.canonicalText == canonical, "\(literal) → \(canonical)")
    }

    @Test func hugeExponentsDoNotExpand() {
        let text = JSONValue.number("1e999999999").canonicalText
        #expect(text == "1e999999999")
    }

    @Test func invalidLiteralsBuiltInCodeAreWrittenUnchanged() {
        #expect(JSONValue.number("abc").canonicalText == "abc")
    }
}

@Suite("Exact decimal numbers")
struct DecimalNumberTests {
    private func decimal(_ literal: String) throws -> DecimalNumber {
        try #require(DecimalNumber(literal: literal))
    }

    @Test func comparesByValueAtAnyLength() throws {
        #expect(try self.decimal("1.0") == self.decimal("1"))
        #expect(try self.decimal("0.1") < self.decimal("0.10000000000000000001"))
        #expect(try self.decimal("-2") < self.decimal("-1.5"))
        #expect(try self.decimal("-0") == self.decimal("0"))
        #expect(try self.decimal("99999999999999999999") < self.decimal("1e20"))
        #expect(try self.decimal("1e-400") > self.decimal("0"))
    }

    @Test func integersHaveNoFraction() throws {
        #expect(try self.decimal("1.0").isInteger)
        #expect(try self.decimal("1e400").isInteger)
        #expect(try self.decimal("1.5").isInteger == false)
        #expect(try self.decimal("15e-1").isInteger == false)
    }

    @Test(arguments: [
        ("0.3", "0.1", true), ("0.35", "0.1", false), ("10", "2.5", true), ("7", "2", false), ("1e30", "7", false),
        ("7e30", "7", true), ("0", "0.7", true), ("-4.5", "1.5", true), ("0.0001", "0.01", false),
        ("1", "0.000001", true), ("123456789123456789123456789", "3", true), ("10", "1e-400", true),
    ])
    func multiplesAreExact(value: String, divisor: String, expected: Bool) throws {
        #expect(try self.decimal(value).isMultiple(of: self.decimal(divisor)) == expected, "\(value) / \(divisor)")
    }

    @Test(arguments: ["", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "1 ", "NaN"])
    func rejectsWhatIsNotANumber(literal: String) {
        #expect(DecimalNumber(literal: literal) == nil, "\(literal)")
    }
}
