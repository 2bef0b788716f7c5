/// The most recent failovers (a request moved from one target to the next), newest first, at most `capacity`.
public struct RecentFailovers: Sendable {
    public struct Failover: Sendable, Equatable {
        public var atMs: Int64
        public var requestID: String
        public var from: String
        public var to: String
        public var reason: String

        public init(atMs: Int64, requestID: String, from: String, to: String, reason: String) {
            self.atMs = atMs
            self.requestID = requestID
            self.from = from
            self.to = to
            self.reason = reason
        }
    }

    public let capacity: Int
    public private(set) var newestFirst: [Failover] = []

    public init(capacity: Int = 20) {
        self.capacity = capacity
    }

    public mutating func record(_ failover: Failover) {
        self.newestFirst.insert(failover, at: 0)
        if self.newestFirst.count > self.capacity { self.newestFirst.removeLast() }
    }
}
