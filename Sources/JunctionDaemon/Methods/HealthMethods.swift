import JunctionCore
import JunctionRPC

/// `providers.health`, `providers.probe`, `admin.provider.enable` / `disable`, `admin.breaker.reset`,
/// `events.subscribe` / `unsubscribe`.
enum HealthMethods {
    static func all(runtime: DaemonRuntime, resilience: Resilience, prober: Prober, events: EventBus) -> [RPCMethod] {
        @Sendable func provider(_ params: Params) throws -> ProviderRegistry.Provider {
            let name = try params.required("provider", params.string)
            guard let provider = runtime.active.registry.provider(named: name) else {
                throw RPCError.invalidParams(field: "provider", problem: "names no configured provider")
            }
            return provider
        }
        return [
            RPCMethod("providers.health") { params, _ in
                let params = try Params(params, known: ["provider"])
                var report = resilience.report(registry: runtime.active.registry, at: .now)
                // Whether the states below are the fleet's or this daemon's alone ([shared]).
                let shared = resilience.sharedStatus
                guard let only = try params.string("provider") else {
                    if case .object(var object) = report {
                        object["shared"] = shared
                        report = .object(object)
                    }
                    return report
                }
                let filtered = report["providers"]?.arrayValue?.filter { $0["provider"] == .string(only) } ?? []
                if filtered.isEmpty { throw RPCError.invalidParams(field: "provider", problem: "names no configured provider") }
                return ["providers": .array(filtered), "shared": shared]
            },
            RPCMethod("providers.probe") { params, _ in
                let params = try Params(params, known: ["provider", "model"])
                let target = try provider(params)
                let model = try params.string("model")
                let outcome = await prober.probe(target, model: model)
                return [
                    "provider": .string(target.name), "model": model.map(JSONValue.string) ?? .null, "ok": .bool(outcome.ok),
                    "latency_ms": .int(outcome.latency.milliseconds), "detail": .string(outcome.detail),
                ]
            },
            RPCMethod("admin.provider.enable") { params, _ in
                let target = try provider(try Params(params, known: ["provider"]))
                resilience.setDisabled(provider: target.name, false)
                return ["provider": .string(target.name), "enabled": true]
            },
            RPCMethod("admin.provider.disable") { params, _ in
                let target = try provider(try Params(params, known: ["provider"]))
                resilience.setDisabled(provider: target.name, true)
                return ["provider": .string(target.name), "enabled": false]
            },
            RPCMethod("admin.breaker.reset") { params, _ in
                let params = try Params(params, known: ["provider", "model"])
                let target = try provider(params)
                let count = resilience.resetBreakers(provider: target.name, model: try params.string("model"))
                return ["provider": .string(target.name), "closed": .int(count)]
            },
            RPCMethod("events.subscribe") { params, context in
                let params = try Params(params, known: ["topics"])
                var topics = try self.topics(params) ?? EventBus.topics
                // Budget alerts carry other callers' spend and limits: for administrators only.
                if !context.isAdmin, topics.contains(EventBus.adminTopic) {
                    guard params.value("topics") == nil || params.value("topics") == .null else {
                        throw RPCError.invalidParams(
                            field: "topics",
                            problem: "\"\(EventBus.adminTopic)\" is for administrators (root, the daemon's user or "
                                + "server.admin_group); junctionctl quota shows your own budgets"
                        )
                    }
                    topics.remove(EventBus.adminTopic)
                }
                let subscribed = events.subscribe(context.connection, topics: topics)
                return ["topics": .array(subscribed.sorted().map(JSONValue.string))]
            },
            RPCMethod("events.unsubscribe") { params, context in
                let params = try Params(params, known: ["topics"])
                let remaining = events.unsubscribe(context.connection, topics: try self.topics(params))
                return ["topics": .array(remaining.sorted().map(JSONValue.string))]
            },
        ]
    }

    private static func topics(_ params: Params) throws(RPCError) -> Set<String>? {
        guard let value = params.value("topics"), value != .null else { return nil }
        guard let list = value.arrayValue?.compactMap(\.stringValue), list.count == value.arrayValue?.count else {
            throw .invalidParams(field: "topics", problem: "must be an array of topic names")
        }
        for topic in list where !EventBus.topics.contains(topic) {
            throw .invalidParams(field: "topics", problem: "\"\(topic)\" is not a topic (topics: \(EventBus.topics.sorted().joined(separator: ", ")))")
        }
        return Set(list)
    }
}
