/// Money in integer millionths of a US dollar (1 USD = 1_000_000), in storage and arithmetic: never floating point.
public typealias MicroUSD = Int

/// Conversions between micro-USD and dollars, for configuration (dollars in) and results (dollars out).
public enum MicroUSDText {
    /// Dollars, for JSON results; only ever for display, never summed.
    public static func usd(_ micro: MicroUSD) -> Double {
        Double(micro) / 1_000_000
    }

    /// Micro-USD of a dollar amount, rounded to the nearest micro-dollar.
    public static func micro(usd: Double) -> MicroUSD {
        MicroUSD((usd * 1_000_000).rounded())
    }

    /// `$1.234567`: all six decimals, so that the text is exact.
    public static func text(_ micro: MicroUSD) -> String {
        let sign = micro < 0 ? "-" : ""
        let magnitude = micro.magnitude
        let fraction = String(magnitude % 1_000_000)
        return "\(sign)$\(magnitude / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}
