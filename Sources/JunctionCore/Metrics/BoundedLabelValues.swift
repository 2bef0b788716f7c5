/// The values one metric label may take, kept to a bound so that a caller choosing names (a `provider:model`
/// nobody configured, a new `client` label per request) cannot grow the exposition without end. Configured values
/// always pass; values first seen later are admitted until `cap` of them are known, and every value after that
/// reads `other`. A pure value: the metrics shell holds it under its lock.
public struct BoundedLabelValues: Sendable, Equatable {
    /// What every value over the bound (or not fit for a label) reads.
    public static let other = "other"
    /// Longer values read `other`: a label value is for grouping, not for carrying data.
    public static let maxLength = 128

    public private(set) var configured: Set<String>
    /// Values admitted as they were seen, beyond the configured ones.
    public private(set) var observed: Set<String> = []
    /// How many values may be admitted beyond the configured ones.
    public private(set) var cap: Int

    public init(configured: Set<String> = [], cap: Int) {
        self.configured = configured
        self.cap = max(0, cap)
    }

    /// The label value for `value`: itself when configured or admitted (now or before), else `other`.
    public mutating func value(for value: String) -> String {
        if self.configured.contains(value) || self.observed.contains(value) { return value }
        guard self.observed.count < self.cap, Self.fits(value) else { return Self.other }
        self.observed.insert(value)
        return value
    }

    /// A new configuration: its values pass from now on. Values admitted before stay admitted (their series
    /// exist already), as far as the new cap allows; the count of admitted values never exceeds `cap`.
    public mutating func reconfigure(configured: Set<String>, cap: Int) {
        self.configured = configured
        self.cap = max(0, cap)
        self.observed.subtract(configured)
        if self.observed.count > self.cap { self.observed = Set(self.observed.sorted().prefix(self.cap)) }
    }

    /// Not empty, not `other` itself, at most `maxLength` bytes.
    static func fits(_ value: String) -> Bool {
        !value.isEmpty && value != Self.other && value.utf8.count <= Self.maxLength
    }
}
