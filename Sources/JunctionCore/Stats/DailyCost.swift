/// What each target cost since the current day began (in the accounting time zone): reset when a new day starts.
/// The day's start is passed in with each event, so the caller's calendar decides where days begin.
public struct DailyCost: Sendable {
    public private(set) var dayStartMs: Int64
    public private(set) var byTarget: [TargetRef: Int] = [:]

    public init(dayStartMs: Int64) {
        self.dayStartMs = dayStartMs
    }

    /// `microUSD` spent on `target` on the day that starts at `dayStartMs`.
    public mutating func add(_ microUSD: Int, target: TargetRef, dayStartMs: Int64) {
        self.roll(to: dayStartMs)
        guard dayStartMs == self.dayStartMs, microUSD > 0 else { return }
        self.byTarget[target, default: 0] += microUSD
    }

    /// Starts a new day (a later `dayStartMs`); an earlier one changes nothing.
    public mutating func roll(to dayStartMs: Int64) {
        guard dayStartMs > self.dayStartMs else { return }
        self.dayStartMs = dayStartMs
        self.byTarget = [:]
    }

    public func total(provider: String) -> Int {
        self.byTarget.reduce(0) { $0 + ($1.key.provider == provider ? $1.value : 0) }
    }

    public var total: Int { self.byTarget.values.reduce(0, +) }
}
