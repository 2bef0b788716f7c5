import JunctionCore

extension JSONValue {
    /// An amount of micro-USD as a JSON number in USD, exact (`12345` → `0.012345`): the integer is the truth,
    /// so it is written digit by digit rather than through a `Double`.
    static func usd(_ micro: MicroUSD) -> JSONValue {
        if micro == 0 { return .number("0") }
        // Digits into one small buffer (this runs several times per answer): no intermediate strings.
        var magnitude = micro.magnitude
        var digits: [UInt8] = []
        digits.reserveCapacity(24)
        var position = 0
        var significant = false
        while magnitude > 0 || position <= 6 {
            let digit = UInt8(magnitude % 10)
            magnitude /= 10
            if position < 6 {
                // Trailing zeros of the fraction are left out.
                if digit != 0 || significant {
                    digits.append(0x30 + digit)
                    significant = true
                }
            } else {
                if position == 6, significant { digits.append(UInt8(ascii: ".")) }
                digits.append(0x30 + digit)
            }
            position += 1
        }
        if micro < 0 { digits.append(UInt8(ascii: "-")) }
        digits.reverse()
        return .number(String(decoding: digits, as: UTF8.self))
    }

    static func usd(_ micro: MicroUSD?) -> JSONValue { micro.map { .usd($0) } ?? .null }
}

extension RequestCost {
    /// `cost` in a `generate` result: the parts in USD, the total (null when a price is unknown), what failed
    /// attempts added, the tokens billed over all attempts and the price table used.
    var json: JSONValue {
        var object: JSONObject = [
            "total_usd": .usd(self.total),
            "total_micro_usd": self.total.map { .int($0) } ?? .null,
            "input_usd": .usd(self.input),
            "cached_input_usd": .usd(self.cachedInput),
            "cache_write_usd": .usd(self.cacheWrite),
            "output_usd": .usd(self.output),
            "reasoning_usd": .usd(self.reasoning),
            "failed_attempts_usd": .usd(self.failedAttempts),
            "billed_usage": self.usage.json,
            "price_version": self.priceVersion.map(JSONValue.string) ?? .null,
        ]
        if self.unknownPriceAttempts > 0 { object["unknown_price_attempts"] = .int(self.unknownPriceAttempts) }
        if self.unknownBillAttempts > 0 { object["unknown_bill_attempts"] = .int(self.unknownBillAttempts) }
        if self.estimated { object["estimated"] = true }
        return .object(object)
    }
}
