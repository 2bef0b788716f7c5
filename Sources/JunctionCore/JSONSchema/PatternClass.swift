/// A set of Unicode scalars: a bracket class (`[a-z\d]`, `[^"]`), `.`, or a class escape (`\w`, `\P{L}`).
struct PatternClass: Sendable {
    /// Sorted, non-overlapping, non-adjacent scalar value ranges.
    private(set) var ranges: [ClosedRange<UInt32>]
    /// `\p{…}` / `\P{…}` members, tested after the ranges.
    private(set) var properties: [PatternProperty]
    /// `[^…]`: the complement of the members.
    private(set) var isNegated: Bool

    init(ranges: [ClosedRange<UInt32>] = [], properties: [PatternProperty] = [], isNegated: Bool = false) {
        self.ranges = Self.normalised(ranges)
        self.properties = properties
        self.isNegated = isNegated
    }

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        var low = 0
        var high = self.ranges.count
        var found = false
        while low < high {
            let middle = (low + high) / 2
            let range = self.ranges[middle]
            if value < range.lowerBound {
                high = middle
            } else if value > range.upperBound {
                low = middle + 1
            } else {
                found = true
                break
            }
        }
        if !found { found = self.properties.contains { $0.matches(scalar) } }
        return found != self.isNegated
    }

    /// Adds the members of a class escape (`\d`, `\W`, `\p{L}`) to a bracket class being built.
    mutating func formUnion(_ other: PatternClass) {
        if other.isNegated {
            // Only `\D`, `\W`, `\S` and `.` are negated and have no properties: their complement is ranges again.
            self.ranges = Self.normalised(self.ranges + Self.complement(other.ranges))
            self.properties += other.properties.map { $0.negated() }
        } else {
            self.ranges = Self.normalised(self.ranges + other.ranges)
            self.properties += other.properties
        }
    }

    mutating func insert(_ range: ClosedRange<UInt32>) {
        self.ranges = Self.normalised(self.ranges + [range])
    }

    mutating func negate() {
        self.isNegated.toggle()
    }

    // MARK: ECMA-262 class escapes (ASCII \d and \w, Unicode \s), and `.`

    static let digit = PatternClass(ranges: [0x30...0x39])
    static let word = PatternClass(ranges: [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
    static let space = PatternClass(ranges: [
        0x09...0x0D, 0x20...0x20, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A, 0x2028...0x2029,
        0x202F...0x202F, 0x205F...0x205F, 0x3000...0x3000, 0xFEFF...0xFEFF,
    ])
    /// `.`: anything but a line terminator.
    static let dot = PatternClass(ranges: [0x0A...0x0A, 0x0D...0x0D, 0x2028...0x2029], isNegated: true)

    static func isWord(_ scalar: Unicode.Scalar?) -> Bool {
        guard let scalar else { return false }
        return Self.word.contains(scalar)
    }

    private static func normalised(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        guard ranges.count > 1 else { return ranges }
        let sorted = ranges.sorted { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<UInt32>] = [sorted[0]]
        for range in sorted.dropFirst() {
            let last = merged[merged.count - 1]
            if range.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    private static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in Self.normalised(ranges) {
            if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
            next = range.upperBound + 1
        }
        if next <= 0x10FFFF { result.append(next...0x10FFFF) }
        return result
    }
}
