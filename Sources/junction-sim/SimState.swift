import JunctionCore
import NIOConcurrencyHelpers

/// What the simulator remembers: the request log, the faults, usages and answers set through the control endpoint,
/// and how many requests each faulted model has had (for `@COUNT` and timed outages).
final class SimState: Sendable {
    struct Record: Sendable {
        var sequence: Int
        var milliseconds: Int64
        var method: String
        var path: String
        var format: String
        var model: String
        var stream: Bool
        var fault: String
        var outcome: String
        /// Which credential header came (never its value): bearer, x-api-key, x-goog-api-key or none.
        var auth: String
        /// The structured-output mechanism, schema-in-system flag and thinking budget the request carried.
        var structured: SimStructured
    }

    /// Answers set for a model with `POST /_sim/answers`: taken in order, the last one repeating.
    private struct AnswerQueue {
        var answers: [String]
        var next = 0
    }

    private struct Storage {
        var records: [Record] = []
        var configured: [String: SimFaultRule] = [:]
        var counts: [String: Int] = [:]
        var firstSeen: [String: ContinuousClock.Instant] = [:]
        var usages: [String: SimUsage] = [:]
        var answers: [String: AnswerQueue] = [:]
    }

    let started = ContinuousClock.now
    private let storage = NIOLockedValueBox(Storage())

    /// The fault for this request, counting it against the model's `@COUNT` budget.
    func fault(forModel model: String) -> SimFault {
        self.storage.withLockedValue { storage in
            let now = ContinuousClock.now
            let first = storage.firstSeen[model] ?? now
            storage.firstSeen[model] = first
            let count = storage.counts[model, default: 0]
            storage.counts[model] = count + 1
            guard let rule = storage.configured[model] ?? SimFaultRule.fromModel(model) else { return .none }
            if let limit = rule.remaining, count >= limit { return .none }
            if case .outage(let milliseconds) = rule.fault {
                return now - first < .milliseconds(milliseconds) ? .serverError(503) : .none
            }
            return rule.fault
        }
    }

    func configure(model: String, rule: SimFaultRule?) {
        self.storage.withLockedValue { storage in
            storage.configured[model] = rule
            storage.counts[model] = 0
            storage.firstSeen[model] = nil
        }
    }

    /// The usage to report for `model`, when one was set; nil: the simulator's own counts.
    func usage(forModel model: String) -> SimUsage? {
        self.storage.withLockedValue { $0.usages[model] }
    }

    func setUsage(model: String, usage: SimUsage?) {
        self.storage.withLockedValue { $0.usages[model] = usage }
    }

    /// Sets the completion texts for `model`; nil or empty: its own answer again.
    func setAnswers(model: String, answers: [String]?) {
        self.storage.withLockedValue { storage in
            storage.answers[model] = answers.flatMap { $0.isEmpty ? nil : AnswerQueue(answers: $0) }
        }
    }

    /// The next answer set for `model` (the last one once the list is used up), or nil when none is set.
    func nextAnswer(forModel model: String) -> String? {
        self.storage.withLockedValue { storage in
            guard var queue = storage.answers[model] else { return nil }
            let answer = queue.answers[min(queue.next, queue.answers.count - 1)]
            queue.next += 1
            storage.answers[model] = queue
            return answer
        }
    }

    @discardableResult
    func log(
        method: String, path: String, format: String, model: String, stream: Bool, fault: SimFault, outcome: String,
        auth: String = "none", structured: SimStructured = SimStructured()
    ) -> Int {
        let elapsed = (ContinuousClock.now - self.started).milliseconds
        return self.storage.withLockedValue { storage in
            let sequence = storage.records.count
            storage.records.append(
                Record(
                    sequence: sequence, milliseconds: elapsed, method: method, path: path, format: format, model: model,
                    stream: stream, fault: fault.name, outcome: outcome, auth: auth, structured: structured
                )
            )
            return sequence
        }
    }

    /// Updates the outcome of a logged request once it is known (a stream that was cut, a client that left).
    func finish(_ sequence: Int, outcome: String) {
        self.storage.withLockedValue { storage in
            if sequence < storage.records.count { storage.records[sequence].outcome = outcome }
        }
    }

    func reset() {
        self.storage.withLockedValue { $0 = Storage() }
    }

    var logJSON: JSONValue {
        let records = self.storage.withLockedValue { $0.records }
        return [
            "requests": .array(
                records.map { record in
                    [
                        "seq": .int(record.sequence), "t_ms": .int(record.milliseconds), "method": .string(record.method),
                        "path": .string(record.path), "format": .string(record.format), "model": .string(record.model),
                        "stream": .bool(record.stream), "fault": .string(record.fault), "outcome": .string(record.outcome),
                        "auth": .string(record.auth), "structured": .string(record.structured.mechanism),
                        "schema_in_system": .bool(record.structured.schemaInSystem),
                        "thinking": record.structured.thinking.map { .int($0) } ?? .null,
                        "thinking_type": record.structured.thinkingType.map { .string($0) } ?? .null,
                        "effort": record.structured.effort.map { .string($0) } ?? .null,
                    ]
                }
            )
        ]
    }
}
