/// A JSON number as an exact decimal, `±digits × 10^exponent`, so that numbers of any length and spelling compare
/// by value without rounding through `Double`.
///
/// Normalised on construction: `digits` has no leading or trailing zeros (trailing zeros move into `exponent`), so
/// two equal numbers have equal fields and "1", "1.0", "10e-1" and "0.1e1" are the same value. Zero is
/// `digits == []`, `exponent == 0`, never negative.
struct DecimalNumber: Sendable, Equatable {
    /// ASCII digits of the significand, without leading or trailing zeros; empty for zero.
    private(set) var digits: [UInt8]
    private(set) var exponent: Int
    private(set) var isNegative: Bool

    /// Exponents are clamped to ±10^15: far beyond any number a schema or a model means, and small enough that
    /// adding digit counts to them can never overflow `Int`.
    static let exponentLimit = 1_000_000_000_000_000

    /// Reads a JSON number literal (`-?digits(.digits)?([eE][+-]?digits)?`; leading zeros are tolerated for
    /// numbers built in code). Nil for anything else, e.g. `.number("abc")` constructed by hand.
    init?(literal: String) {
        var digits: [UInt8] = []
        var fractionCount = 0
        var isNegative = false
        var explicitExponent = 0
        var iterator = literal.utf8.makeIterator()
        var byte = iterator.next()
        if byte == UInt8(ascii: "-") {
            isNegative = true
            byte = iterator.next()
        }
        var sawDigit = false
        while let current = byte, Self.isDigit(current) {
            sawDigit = true
            // Leading zeros carry no value.
            if !(digits.isEmpty && current == UInt8(ascii: "0")) { digits.append(current) }
            byte = iterator.next()
        }
        guard sawDigit else { return nil }
        if byte == UInt8(ascii: ".") {
            byte = iterator.next()
            var sawFraction = false
            while let current = byte, Self.isDigit(current) {
                sawFraction = true
                fractionCount += 1
                if !(digits.isEmpty && current == UInt8(ascii: "0")) { digits.append(current) }
                byte = iterator.next()
            }
            guard sawFraction else { return nil }
        }
        if let current = byte, current | 0x20 == UInt8(ascii: "e") {
            byte = iterator.next()
            var exponentIsNegative = false
            if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") {
                exponentIsNegative = byte == UInt8(ascii: "-")
                byte = iterator.next()
            }
            var sawExponent = false
            while let current = byte, Self.isDigit(current) {
                sawExponent = true
                explicitExponent = min(explicitExponent * 10 + Int(current - UInt8(ascii: "0")), Self.exponentLimit)
                byte = iterator.next()
            }
            guard sawExponent else { return nil }
            if exponentIsNegative { explicitExponent = -explicitExponent }
        }
        guard byte == nil else { return nil }
        var exponent = explicitExponent - fractionCount
        while digits.last == UInt8(ascii: "0") {
            digits.removeLast()
            exponent += 1
        }
        if digits.isEmpty {
            self.init(digits: [], exponent: 0, isNegative: false)
        } else {
            self.init(digits: digits, exponent: exponent, isNegative: isNegative)
        }
    }

    private init(digits: [UInt8], exponent: Int, isNegative: Bool) {
        self.digits = digits
        self.exponent = max(-Self.exponentLimit, min(exponent, Self.exponentLimit))
        self.isNegative = isNegative
    }

    var isZero: Bool { self.digits.isEmpty }

    /// True for a number with no fractional part (1, 1.0, 1e3, 0), whatever its size.
    var isInteger: Bool { self.digits.isEmpty || self.exponent >= 0 }

    /// -1, 0 or 1.
    var signum: Int { self.digits.isEmpty ? 0 : (self.isNegative ? -1 : 1) }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}

extension DecimalNumber: Comparable {
    static func < (left: DecimalNumber, right: DecimalNumber) -> Bool {
        if left.signum != right.signum { return left.signum < right.signum }
        if left.signum == 0 { return false }
        let magnitude = Self.compareMagnitudes(left, right)
        return left.isNegative ? magnitude > 0 : magnitude < 0
    }

    /// Compares absolute values: -1, 0 or 1. Both are non-zero.
    private static func compareMagnitudes(_ left: DecimalNumber, _ right: DecimalNumber) -> Int {
        // The leading digit's power of ten decides first; equal orders compare digit by digit.
        let leftOrder = left.digits.count + left.exponent
        let rightOrder = right.digits.count + right.exponent
        if leftOrder != rightOrder { return leftOrder < rightOrder ? -1 : 1 }
        for (leftDigit, rightDigit) in zip(left.digits, right.digits) where leftDigit != rightDigit {
            return leftDigit < rightDigit ? -1 : 1
        }
        if left.digits.count == right.digits.count { return 0 }
        // No trailing zeros: the one with more digits is the larger.
        return left.digits.count < right.digits.count ? -1 : 1
    }
}
