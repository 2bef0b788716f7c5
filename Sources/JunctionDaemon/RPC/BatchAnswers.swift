import JunctionCore
import JunctionRPC
import NIOConcurrencyHelpers

/// Collects the answers of one batch's requests, which run as requests of their own, and writes them as one
/// array once the last has answered (nothing, if none is due).
final class BatchAnswers: Sendable {
    private let writer: ConnectionWriter
    private let state: NIOLockedValueBox<(answers: [JSONValue?], outstanding: Int)>

    init(count: Int, writer: ConnectionWriter) {
        self.writer = writer
        self.state = NIOLockedValueBox((Array(repeating: nil, count: count), count))
    }

    /// Records the answer of the element at `position` (nil: none is due, e.g. a notification).
    func deposit(_ answer: JSONValue?, at position: Int) {
        let complete = self.state.withLockedValue { state -> [JSONValue]? in
            state.answers[position] = answer
            state.outstanding -= 1
            guard state.outstanding == 0 else { return nil }
            defer { state.answers = [] }
            return state.answers.compactMap { $0 }
        }
        if let complete, !complete.isEmpty { self.writer.write(RPCEncoder.line(.array(complete))) }
    }
}
