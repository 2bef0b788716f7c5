/// Money in integer micro-USD: 1 USD = 1_000_000. Every price, cost and budget is held and added up in this unit;
/// floating point appears only at the edges, to read a configured dollar figure or to print one.
public typealias MicroUSD = Int

/// Conversions between micro-USD and the dollar figures people write and read.
public enum MicroUSDText {
    /// Dollars as a `Double`, for display and JSON only (never for arithmetic).
    public static func usd(_ micro: MicroUSD) -> Double {
        Double(micro) / 1_000_000
    }

    /// A dollar figure (from a config file, say) rounded to the nearest micro-USD, halves away from zero.
    /// Values beyond what an `Int` holds saturate.
    public static func micro(usd: Double) -> MicroUSD {
        let scaled = (usd * 1_000_000).rounded(.toNearestOrAwayFromZero)
        guard scaled.isFinite else { return scaled > 0 ? .max : .min }
        if scaled >= Double(Int.max) { return .max }
        if scaled <= Double(Int.min) { return .min }
        return Int(scaled)
    }

    /// `"$1.234567"`; `"-$0.000001"` below zero.
    public static func text(_ micro: MicroUSD) -> String {
        micro < 0 ? "-$" + self.decimal(micro.magnitude) : "$" + self.decimal(micro.magnitude)
    }

    /// The amount in dollars with exactly six decimals (`"1.234567"`, `"-0.000001"`): the digits of the integer,
    /// so JSON numbers written from it are exact.
    public static func decimal(_ micro: MicroUSD) -> String {
        micro < 0 ? "-" + self.decimal(micro.magnitude) : self.decimal(micro.magnitude)
    }

    private static func decimal(_ magnitude: UInt) -> String {
        let fraction = String(magnitude % 1_000_000)
        return "\(magnitude / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}
