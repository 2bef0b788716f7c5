/// What the shared state's connection says, for `daemon.status`, `providers.health`, metrics and `junctionctl`.
public struct RedisHealth: Sendable, Equatable {
    public enum State: String, Sendable {
        /// The last operation succeeded: the fleet's state is shared.
        case connected
        /// Redis is unreachable, slow or refusing: each daemon enforces its local view.
        case degradedLocal = "degraded_local"
        /// No `[shared]` configuration.
        case disabled
    }

    public var state: State
    public var endpoint: String?
    public var lastError: String?
    /// Unix ms when the current outage began (nil while connected).
    public var outageSince: Int64?
    /// The total length of the outages so far, in ms (the current one included).
    public var outageMilliseconds: Int64
    /// Submitted; each ends as one of `succeeded`, `failures` (errors, refusals, the breaker's fast failures) and
    /// `timeouts`.
    public var operations: Int
    public var succeeded: Int
    public var failures: Int
    /// Operations given up at their deadline (`[shared] timeout`) before Redis answered.
    public var timeouts: Int
    /// Round trips (one pipelined batch each), and the largest batch so far.
    public var batches: Int
    public var largestBatch: Int
    /// Commands and script calls sent: items merged into one call count once (`RedisScript.itemWidth`).
    public var commands: Int
    public var breaker: String

    public static let disabled = RedisHealth(
        state: .disabled, endpoint: nil, lastError: nil, outageSince: nil, outageMilliseconds: 0, operations: 0,
        succeeded: 0, failures: 0, timeouts: 0, batches: 0, largestBatch: 0, commands: 0, breaker: "closed"
    )
}
