import JunctionCore

extension JSONValue {
    /// An amount of micro-USD as a JSON number in USD, exact (`12345` → `0.012345`): the integer is the truth,
    /// so it is written digit by digit rather than through a `Double`.
    static func usd(_ micro: MicroUSD) -> JSONValue {
        let sign = micro < 0 ? "-" : ""
        let magnitude = micro.magnitude
        let whole = magnitude / 1_000_000
        var fraction = String(magnitude % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return .number(sign + String(whole) + (fraction.isEmpty ? "" : "." + fraction))
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
