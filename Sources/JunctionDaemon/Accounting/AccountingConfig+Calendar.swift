import JunctionCore

extension AccountingConfig {
    /// The calendar budgets count in. The loader has checked the zone; UTC answers should it vanish from the
    /// time-zone database afterwards.
    var periodCalendar: any PeriodCalendar {
        if self.timezone == "UTC" { return FixedOffsetCalendar.utc }
        return ZonedPeriodCalendar(identifier: self.timezone) ?? FixedOffsetCalendar.utc
    }
}
