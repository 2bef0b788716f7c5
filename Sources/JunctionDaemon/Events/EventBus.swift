import JunctionCore
import NIOConcurrencyHelpers

/// Delivers `event` notifications to the connections that subscribed to their topic (`events.subscribe`).
final class EventBus: Sendable {
    static let topics: Set<String> = ["provider.status", "breaker.state", "budget.alert"]
    /// Budget alerts name other callers' budgets and spend: only administrators may subscribe.
    static let adminTopic = "budget.alert"

    private let subscribers = NIOLockedValueBox<[ObjectIdentifier: (connection: RPCConnection, topics: Set<String>)]>([:])

    func subscribe(_ connection: RPCConnection, topics: Set<String>) -> Set<String> {
        self.subscribers.withLockedValue { subscribers in
            let current = subscribers[ObjectIdentifier(connection)]?.topics ?? []
            let merged = current.union(topics)
            subscribers[ObjectIdentifier(connection)] = (connection, merged)
            return merged
        }
    }

    func unsubscribe(_ connection: RPCConnection, topics: Set<String>?) -> Set<String> {
        self.subscribers.withLockedValue { subscribers in
            guard var entry = subscribers[ObjectIdentifier(connection)] else { return [] }
            entry.topics = topics.map { entry.topics.subtracting($0) } ?? []
            subscribers[ObjectIdentifier(connection)] = entry.topics.isEmpty ? nil : entry
            return entry.topics
        }
    }

    /// Connections subscribed to at least one topic.
    var subscriberCount: Int { self.subscribers.withLockedValue { $0.count } }

    /// Forgets a connection that closed.
    func remove(_ connection: RPCConnection) {
        _ = self.subscribers.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(connection)) }
    }

    func publish(topic: String, _ payload: JSONObject) {
        let receivers = self.subscribers.withLockedValue { subscribers in
            subscribers.values.filter { $0.topics.contains(topic) }.map(\.connection)
        }
        guard !receivers.isEmpty else { return }
        var params = payload
        params["topic"] = .string(topic)
        for connection in receivers { connection.notify(method: "event", params: .object(params)) }
    }
}
