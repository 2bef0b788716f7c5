import JunctionCore

extension ConfigLoader {
    /// `[resilience]`.
    static func readResilience(_ table: ConfigTable) -> ResilienceConfig {
        var resilience = ResilienceConfig()
        var retention = resilience.retention
        retention.capacity = table.int("max_dynamic_targets", in: 1...1_000_000) ?? retention.capacity
        if let expiry = table.duration("dynamic_target_idle_expiry") {
            if expiry >= .seconds(1) {
                retention.idleExpiry = expiry
            } else {
                table.problem("dynamic_target_idle_expiry", "must be at least 1s")
            }
        }
        resilience.retention = retention
        table.rejectUnknownKeys(allowed: ["max_dynamic_targets", "dynamic_target_idle_expiry"])
        return resilience
    }
}
