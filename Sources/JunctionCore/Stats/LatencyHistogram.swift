/// Latencies in a fixed set of logarithmic bins: enough for a p50 or a p95 within about 7 %, in a few hundred bytes,
/// mergeable across buckets and targets. Empty until the first sample (an idle bucket costs no memory).
public struct LatencyHistogram: Sendable, Equatable {
    /// Each bin is this much wider than the one below it: a percentile read from the bin's middle is within
    /// half of that (about 7 %) of the true value.
    static let growth = 1.15
    /// Bin 0 holds samples under 1 ms; the last bin everything from about 11 minutes up.
    public static let binCount = 96

    /// Samples per bin; empty when no sample was recorded.
    public private(set) var counts: [UInt32] = []
    public private(set) var total = 0

    public init() {}

    public var isEmpty: Bool { self.total == 0 }

    /// Records one latency in milliseconds.
    public mutating func record(milliseconds: Int) {
        if self.counts.isEmpty { self.counts = Array(repeating: 0, count: Self.binCount) }
        let bin = Self.bin(of: milliseconds)
        // Saturates rather than traps: a bin holding four billion samples has made its point.
        if self.counts[bin] < .max { self.counts[bin] += 1 }
        self.total += 1
    }

    /// Adds another histogram's samples to this one.
    public mutating func merge(_ other: LatencyHistogram) {
        guard !other.isEmpty else { return }
        if self.counts.isEmpty {
            self = other
            return
        }
        for index in 0..<Self.binCount {
            let (sum, overflow) = self.counts[index].addingReportingOverflow(other.counts[index])
            self.counts[index] = overflow ? .max : sum
        }
        self.total += other.total
    }

    /// The latency below which `percentile` per cent of the samples fall (the middle of the bin that holds that
    /// rank), in milliseconds; nil without samples.
    public func percentile(_ percentile: Double) -> Int? {
        guard self.total > 0 else { return nil }
        let rank = max(1, Int((percentile / 100 * Double(self.total)).rounded(.up)))
        var seen = 0
        for (index, count) in self.counts.enumerated() {
            seen += Int(count)
            if seen >= rank { return Self.representative(of: index) }
        }
        return Self.representative(of: Self.binCount - 1)
    }

    /// The lower bound of every bin in milliseconds (bin 0: 0; bin i ≥ 1: growth^(i-1)), by repeated
    /// multiplication: Core has no `log` or `pow` without Foundation, and a table makes a lookup a binary search.
    static let lowerBounds: [Double] = {
        var bounds = [0.0, 1.0]
        while bounds.count < Self.binCount { bounds.append(bounds[bounds.count - 1] * Self.growth) }
        return bounds
    }()

    /// The bin a latency falls in: the last whose lower bound is at most the value.
    static func bin(of milliseconds: Int) -> Int {
        let value = Double(milliseconds)
        var low = 0
        var high = Self.binCount - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if Self.lowerBounds[middle] <= value { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// The geometric middle of a bin, rounded to whole milliseconds (0 for the sub-millisecond bin).
    static func representative(of bin: Int) -> Int {
        guard bin > 0 else { return 0 }
        return Int((Self.lowerBounds[bin] * Self.growth.squareRoot()).rounded())
    }
}
