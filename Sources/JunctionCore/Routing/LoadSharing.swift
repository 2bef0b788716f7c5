/// Load sharing among targets of equal priority: a weighted random draw without replacement, each target's weight
/// scaled by how fast it has been, so that traffic spreads by `weight` and leans toward the faster. Pure.
public enum LoadSharing {
    /// - Parameters:
    ///   - latencies: each target's latency EWMA in milliseconds; nil when unknown (counts as fast).
    ///   - random: uniform in [0, 1).
    public static func order(
        _ targets: [TargetRef],
        weights: [Int],
        latencies: [Double?],
        random: () -> Double
    ) -> [TargetRef] {
        guard targets.count > 1 else { return targets }
        let fastest = latencies.compactMap { $0 }.min()
        var pool: [(TargetRef, Double)] = targets.indices.map { index in
            let speed = fastest.map { fastest in latencies[index].map { max(fastest, 1) / max($0, 1) } ?? 1 } ?? 1
            return (targets[index], Double(max(weights[index], 1)) * speed)
        }
        var ordered: [TargetRef] = []
        ordered.reserveCapacity(targets.count)
        while !pool.isEmpty {
            let total = pool.reduce(0) { $0 + $1.1 }
            var draw = random() * total
            var chosen = pool.count - 1
            for (position, entry) in pool.enumerated() {
                if draw < entry.1 {
                    chosen = position
                    break
                }
                draw -= entry.1
            }
            ordered.append(pool.remove(at: chosen).0)
        }
        return ordered
    }
}
