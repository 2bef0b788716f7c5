import JunctionCore

/// What the gateway tells the caller while a request runs.
enum GenerateEvent: Sendable, Equatable {
    /// Answer text of attempt `attempt`, numbered from 0 within the attempt.
    case delta(attempt: Int, seq: Int, text: String)
    /// Reasoning text of attempt `attempt` (for front ends that show it; the result carries all of it).
    case reasoning(attempt: Int, text: String)
    /// Attempt `attempt` of request `requestID` starts on `target`, or a stored answer (`served`) is about to be
    /// replayed. Sent to streamed requests only, before the attempt's deltas: front ends that send headers first
    /// (HTTP) name the target from it; the socket API ignores it.
    case started(attempt: Int, target: TargetRef, requestID: String, served: CacheServe?)
    /// Discard what attempt numbers before `attempt` streamed: attempt `attempt` answers in full.
    case restart(attempt: Int, reason: String)
}

/// Receives the events of one request, in order, on the request's task.
typealias GenerateEventSink = @Sendable (GenerateEvent) -> Void
