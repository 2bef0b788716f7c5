/// What each target has cost since local midnight of the accounting time zone. A request counts on the day it
/// started (as the ledger dates it, so that seeding from the ledger after a restart agrees); the day rolls over on
/// the first request or read after midnight, and a request that started before the current day is not counted.
public struct CostToday: Sendable, Equatable {
    public private(set) var day = PeriodBounds.beforeAnyTime
    public private(set) var byTarget: [TargetRef: MicroUSD] = [:]

    public init() {}

    /// Counts `cost` of `target`, for a request that started at `startedAt` (Unix ms).
    public mutating func add(_ cost: MicroUSD, target: TargetRef, startedAt: Int64, calendar: any PeriodCalendar) {
        guard cost != 0 else { return }
        if startedAt >= self.day.end { self.roll(to: calendar.day(containing: startedAt)) }
        guard self.day.contains(startedAt) else { return }
        self.byTarget[target, default: 0] += cost
    }

    /// Replaces the counts with what the ledger holds for the day containing `now` (at start).
    public mutating func seed(_ costs: [TargetRef: MicroUSD], day: PeriodBounds) {
        self.day = day
        self.byTarget = costs
    }

    /// Moves to the day containing `now` when it is past the current one (reads call this first).
    public mutating func rollOver(at now: Int64, calendar: any PeriodCalendar) {
        if now >= self.day.end { self.roll(to: calendar.day(containing: now)) }
    }

    /// Every target's cost today.
    public var total: MicroUSD { self.byTarget.values.reduce(0, +) }

    public func cost(of target: TargetRef) -> MicroUSD { self.byTarget[target] ?? 0 }

    public func cost(ofProvider provider: String) -> MicroUSD {
        self.byTarget.reduce(0) { $0 + ($1.key.provider == provider ? $1.value : 0) }
    }

    private mutating func roll(to day: PeriodBounds) {
        self.day = day
        self.byTarget = [:]
    }
}
