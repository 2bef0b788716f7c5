extension DecimalNumber {
    /// Whether `self / divisor` is an integer, decided exactly when the divisor's significand has at most 18 digits
    /// (every `multipleOf` a schema realistically has: 0.01, 5, 1e-8), otherwise through `Double` with a relative
    /// tolerance. Exact decimal arithmetic is what makes 0.3 a multiple of 0.1, which binary floating point denies.
    /// `divisor` is positive (the compiler rejects anything else).
    func isMultiple(of divisor: DecimalNumber) -> Bool {
        if self.isZero { return true }
        guard divisor.digits.count <= 18 else { return self.isMultipleApproximately(of: divisor) }
        var modulus: UInt64 = 0
        for digit in divisor.digits { modulus = modulus * 10 + UInt64(digit - UInt8(ascii: "0")) }
        // self = a × 10^ea, divisor = m × 10^em, a without trailing zeros. If ea < em the quotient needs
        // a to be divisible by 10^(em - ea), which a number without trailing zeros never is.
        let shift = self.exponent - divisor.exponent
        guard shift >= 0 else { return false }
        if modulus == 1 { return true }
        // (a × 10^shift) mod m, digit by digit; m < 10^18 < 2^60, so remainder × 10 + 9 fits in UInt64.
        var remainder: UInt64 = 0
        for digit in self.digits { remainder = (remainder * 10 + UInt64(digit - UInt8(ascii: "0"))) % modulus }
        let scale = Self.powerOfTen(shift, modulo: modulus)
        return Self.multiply(remainder, scale, modulo: modulus) == 0
    }

    private func isMultipleApproximately(of divisor: DecimalNumber) -> Bool {
        guard let value = Double(self.literal), let step = Double(divisor.literal), step > 0 else { return false }
        let quotient = value / step
        // Past 2^53 every Double is an integer: no fraction left to judge.
        guard quotient.isFinite, abs(quotient) < 9.0e15 else { return true }
        return abs(quotient - quotient.rounded()) <= 1e-9 * max(1, abs(quotient))
    }

    /// The number written back as a literal (`digits` `e` `exponent`): for `Double(_:)`, not for people.
    var literal: String {
        if self.isZero { return "0" }
        let sign = self.isNegative ? "-" : ""
        return "\(sign)\(String(decoding: self.digits, as: UTF8.self))e\(self.exponent)"
    }

    /// 10^exponent mod modulus by repeated squaring; exponent may be up to `exponentLimit`.
    private static func powerOfTen(_ exponent: Int, modulo modulus: UInt64) -> UInt64 {
        var result: UInt64 = 1 % modulus
        var base: UInt64 = 10 % modulus
        var remaining = exponent
        while remaining > 0 {
            if remaining & 1 == 1 { result = Self.multiply(result, base, modulo: modulus) }
            base = Self.multiply(base, base, modulo: modulus)
            remaining >>= 1
        }
        return result
    }

    /// (left × right) mod modulus without overflow; both factors are below the modulus, so the 128-bit quotient
    /// fits in 64 bits.
    private static func multiply(_ left: UInt64, _ right: UInt64, modulo modulus: UInt64) -> UInt64 {
        let product = left.multipliedFullWidth(by: right)
        return modulus.dividingFullWidth((high: product.high, low: product.low)).remainder
    }
}
