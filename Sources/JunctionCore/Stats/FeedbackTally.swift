/// Ratings of answers (scores 0...1): how many, and their sum for the mean. A request rated again replaces its
/// earlier score, so the count stays and the sum moves by the difference.
public struct FeedbackTally: Sendable, Equatable {
    public private(set) var count = 0
    public private(set) var sum = 0.0

    public init(count: Int = 0, sum: Double = 0) {
        self.count = count
        self.sum = sum
    }

    /// The mean score; nil without ratings.
    public var mean: Double? { self.count == 0 ? nil : self.sum / Double(self.count) }

    /// Counts a rating; `previous` is the score it replaces (nil: the request's first rating).
    public mutating func rated(_ score: Double, replacing previous: Double?) {
        if let previous {
            self.sum += score - previous
        } else {
            self.count += 1
            self.sum += score
        }
    }

    public static func + (lhs: Self, rhs: Self) -> Self {
        FeedbackTally(count: lhs.count + rhs.count, sum: lhs.sum + rhs.sum)
    }
}
