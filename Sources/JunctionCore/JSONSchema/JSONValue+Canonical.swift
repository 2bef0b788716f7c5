extension JSONValue {
    /// Canonical text: equal for values that mean the same JSON, whatever their key order, whitespace or number
    /// spelling. The response cache keys on it, and schema `enum`, `const` and `uniqueItems` compare with it.
    ///
    /// The rules:
    /// - no whitespace; `null`, `true`, `false` as themselves;
    /// - strings escaped as `compactText` escapes them;
    /// - object members sorted by the UTF-8 bytes of their keys (arrays keep their order);
    /// - a number with no fractional part is written as its exact decimal digits, without sign for zero,
    ///   fraction or exponent, however large: "1.0", "1e0", "10e-1" → "1"; "-0" → "0";
    ///   "12345678901234567890123.000" → "12345678901234567890123" (never rounded through `Double`). Only an
    ///   integer that would need more than 512 appended zeros keeps an exponent: "1e1000" → "1e1000",
    ///   "1.5e1000" → "15e999" (significand digits without trailing zeros, then the exponent);
    /// - any other number is written as the shortest text that round-trips its `Double` ("0.50" → "0.5",
    ///   "1.0000000000000000001" → "1"): when that `Double` is integral, by the integer rule above; when the
    ///   number has no finite non-zero `Double` ("1e-400"), as its exact significand digits and exponent
    ///   ("1e-400", "123e-402");
    /// - exponents beyond ±10^15 are clamped to it; a `.number` whose text is not a JSON number (only possible for
    ///   values built in code) is written unchanged.
    ///
    /// The canonical text is itself JSON, and canonical: parsing it and taking its canonical text again gives the
    /// same bytes.
    public var canonicalText: String {
        var output: [UInt8] = []
        self.writeCanonical(to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// The same as `canonicalText`, as UTF-8 bytes appended to `output` (no intermediate `String`).
    public func writeCanonical(to output: inout [UInt8]) {
        switch self {
        case .null, .bool: self.write(to: &output)
        case .number(let text): Self.writeCanonicalNumber(text, to: &output)
        case .string(let text): Self.writeString(text, to: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                element.writeCanonical(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            let members = object.members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (position, member) in members.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                Self.writeString(member.key, to: &output)
                output.append(UInt8(ascii: ":"))
                member.value.writeCanonical(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// The canonical bytes alone, for hashing and set membership.
    var canonicalBytes: [UInt8] {
        var output: [UInt8] = []
        self.writeCanonical(to: &output)
        return output
    }

    /// Integers that would need more zeros than this keep an exponent, so that "1e999999999" cannot make the
    /// canonical text (a cache key) gigabytes long.
    private static let maxAppendedZeros = 512

    private static func writeCanonicalNumber(_ text: String, to output: inout [UInt8]) {
        guard let decimal = DecimalNumber(literal: text) else {
            output.append(contentsOf: text.utf8)
            return
        }
        if decimal.isInteger {
            Self.writeExactInteger(decimal, to: &output)
            return
        }
        guard let double = Double(text), double.isFinite, double != 0 else {
            Self.writeExactScientific(decimal, to: &output)
            return
        }
        let shortest = double.description
        if double == double.rounded(.towardZero), let integral = DecimalNumber(literal: shortest) {
            // "2.99999999999999999999" is the Double 3.0: written "3", as the integer "3" would be.
            Self.writeExactInteger(integral, to: &output)
        } else {
            output.append(contentsOf: shortest.utf8)
        }
    }

    private static func writeExactInteger(_ decimal: DecimalNumber, to output: inout [UInt8]) {
        if decimal.isZero {
            output.append(UInt8(ascii: "0"))
            return
        }
        guard decimal.exponent <= Self.maxAppendedZeros else {
            Self.writeExactScientific(decimal, to: &output)
            return
        }
        if decimal.isNegative { output.append(UInt8(ascii: "-")) }
        output.append(contentsOf: decimal.digits)
        output.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: decimal.exponent))
    }

    private static func writeExactScientific(_ decimal: DecimalNumber, to output: inout [UInt8]) {
        if decimal.isNegative { output.append(UInt8(ascii: "-")) }
        output.append(contentsOf: decimal.digits)
        output.append(UInt8(ascii: "e"))
        output.append(contentsOf: String(decimal.exponent).utf8)
    }
}
