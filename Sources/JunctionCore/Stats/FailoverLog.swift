/// A request moved from one target to another after a failure.
public struct FailoverRecord: Sendable, Equatable {
    /// When the failed attempt ended (Unix ms).
    public var atMilliseconds: Int64
    public var requestID: String
    public var from: TargetRef
    public var to: TargetRef
    /// The failure's stable reason code (`rate_limited`, `http_503`, ...).
    public var reason: String

    public init(atMilliseconds: Int64, requestID: String, from: TargetRef, to: TargetRef, reason: String) {
        self.atMilliseconds = atMilliseconds
        self.requestID = requestID
        self.from = from
        self.to = to
        self.reason = reason
    }
}

/// The most recent failovers, newest first, at most `capacity`.
public struct FailoverLog: Sendable, Equatable {
    public static let defaultCapacity = 20

    public let capacity: Int
    public private(set) var recent: [FailoverRecord] = []

    public init(capacity: Int = FailoverLog.defaultCapacity) {
        self.capacity = max(1, capacity)
    }

    public mutating func append(_ record: FailoverRecord) {
        // Records arrive about in time order; keep the list sorted anyway (two requests finish out of order).
        let position = self.recent.firstIndex { $0.atMilliseconds <= record.atMilliseconds } ?? self.recent.count
        self.recent.insert(record, at: position)
        if self.recent.count > self.capacity { self.recent.removeLast(self.recent.count - self.capacity) }
    }
}
