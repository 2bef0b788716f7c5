#if canImport(Glibc)
import Glibc
#endif
import JunctionCore
import JunctionProviders
import JunctionRPC
import NIOConcurrencyHelpers

/// `generate`, `tokens.count`, `models.list`, `providers.list`.
enum ProviderMethods {
    static func all(
        runtime: DaemonRuntime,
        gateway: Gateway,
        budgets: Budgets?,
        transport: Transport,
        resilience: Resilience
    ) -> [RPCMethod] {
        let modelCache = ModelListCache()
        return [
            GenerateMethod.method(gateway: gateway, budgets: budgets),
            RPCMethod("tokens.count") { params, _ in
                try await self.countTokens(params, runtime: runtime, transport: transport)
            },
            RPCMethod("models.list") { params, _ in
                let params = try Params(params, known: ["provider"])
                let only = try params.string("provider")
                let active = runtime.active
                if let only, active.registry.provider(named: only) == nil {
                    throw RPCError.invalidParams(field: "provider", problem: "names no configured provider")
                }
                return await modelCache.list(registry: active.registry, only: only, transport: transport)
            },
            RPCMethod("providers.list") { params, _ in
                _ = try Params(params, known: [])
                let active = runtime.active
                let adminDisabled = resilience.adminDisabledProviders()
                return [
                    "providers": .array(
                        active.registry.providers.map { self.describe($0, adminDisabled: adminDisabled.contains($0.name)) }
                    )
                ]
            },
        ]
    }

    /// A provider as `providers.list` shows it: where the key comes from and whether it is there, never the key.
    static func describe(_ provider: ProviderRegistry.Provider, adminDisabled: Bool) -> JSONValue {
        let config = provider.config
        var key: JSONObject = ["source": config.key.map { .string($0.description) } ?? .null]
        key["present"] = .bool(provider.endpoint.apiKey != nil)
        if let problem = provider.keyProblem { key["problem"] = .string(problem) }
        return [
            "name": .string(config.name),
            "kind": .string(config.kind.rawValue),
            // A password in the URL is a secret like any key.
            "base_url": .string(URLCredentials.masked(provider.endpoint.baseURL)),
            "priority": .int(config.priority),
            "enabled": .bool(config.enabled && !adminDisabled),
            "disabled_by_admin": .bool(adminDisabled),
            "key": .object(key),
            "models": .array(
                config.models.map { model in
                    var object: JSONObject = ["id": .string(model.id)]
                    provider.limitFields(of: model.id, into: &object)
                    if let price = model.price.input {
                        object["input_usd_per_mtok"] = .number(MicroUSDText.decimal(price))
                    }
                    if let price = model.price.output {
                        object["output_usd_per_mtok"] = .number(MicroUSDText.decimal(price))
                    }
                    return .object(object)
                }
            ),
        ]
    }

    static func countTokens(_ raw: JSONValue?, runtime: DaemonRuntime, transport: Transport) async throws -> JSONValue {
        let params = try Params(raw, known: ["text", "messages", "model", "system"])
        var forParsing = JSONObject()
        if let text = try params.string("text") { forParsing["prompt"] = .string(text) }
        if let messages = params.value("messages") { forParsing["messages"] = messages }
        if let system = params.value("system") { forParsing["system"] = system }
        guard forParsing["prompt"] != nil || forParsing["messages"] != nil else {
            throw RPCError.invalidParams(field: "text", problem: "is required (or give messages)")
        }
        let request: ChatRequest
        do {
            request = try GenerateParams.parse(.object(forParsing)).request
        } catch {
            // Report the field under its tokens.count name.
            if error.code == RPCErrorCode.invalidParams.rawValue, error.data?["field"] == "prompt" {
                throw RPCError.invalidParams(field: "text", problem: "must be a string")
            }
            throw error
        }
        guard let model = try params.string("model") else { return self.estimate(request) }
        do {
            return try await self.countTokens(request, selection: .model(model), runtime: runtime, transport: transport)
        } catch {
            throw RPCError.invalidParams(field: "model", problem: error.message)
        }
    }

    /// The estimate every count falls back to.
    static func estimate(_ request: ChatRequest) -> JSONValue {
        ["tokens": .int(request.estimatedPromptTokens), "exact": false, "method": "estimate (UTF-8 bytes / 4)"]
    }

    /// `request`'s prompt tokens as the first target of `selection` counts them, with its provider's count
    /// endpoint where it has one, else the estimate (with the reason when the endpoint failed). The shape of
    /// `tokens.count`'s result; a selection that routes nowhere throws.
    static func countTokens(
        _ request: ChatRequest,
        selection: RouteSelection,
        runtime: DaemonRuntime,
        transport: Transport
    ) async throws(RoutingError) -> JSONValue {
        let estimate = self.estimate(request)
        let active = runtime.active
        let candidates = try RoutingPlanner.candidates(active.routing, for: selection)
        guard let target = candidates.first?.first, let provider = active.registry.provider(named: target.provider),
            provider.keyProblem == nil,
            let http = provider.adapter.countTokensRequest(request, model: target.model, endpoint: provider.endpoint)
        else { return estimate }
        var status = 0
        var body: [UInt8] = []
        do {
            for try await part in transport.execute(provider.prepare(http, deadline: .seconds(30))) {
                switch part {
                case .head(let head): status = head.status
                case .body(let bytes): body += bytes
                }
            }
        } catch {
            return self.withFallbackReason(estimate, "\(provider.name): \(error)")
        }
        guard (200..<300).contains(status), let tokens = provider.adapter.parseTokenCount(body) else {
            return self.withFallbackReason(estimate, "\(provider.name) count endpoint answered HTTP \(status)")
        }
        return [
            "tokens": .int(tokens), "exact": true, "method": .string("\(provider.config.kind.rawValue) count endpoint"),
            "provider": .string(provider.name),
        ]
    }

    private static func withFallbackReason(_ estimate: JSONValue, _ reason: String) -> JSONValue {
        guard case .object(var object) = estimate else { return estimate }
        object["fallback_reason"] = .string(reason)
        return .object(object)
    }
}

/// `models.list` answers from each provider's models endpoint, cached for five minutes, merged with the
/// configured models.
final class ModelListCache: Sendable {
    static let lifetime: Duration = .seconds(300)
    private let entries = NIOLockedValueBox<[String: (fetched: ContinuousClock.Instant, models: [String])]>([:])

    func list(registry: ProviderRegistry, only: String?, transport: Transport) async -> JSONValue {
        var models: [JSONValue] = []
        var errors: [JSONValue] = []
        for provider in registry.providers where only == nil || provider.name == only {
            var listed: [String] = []
            switch await self.fetch(provider, transport: transport) {
            case .success(let names): listed = names
            case .failure(let problem): errors.append(["provider": .string(provider.name), "message": .string(problem.reason)])
            }
            let configured = provider.config.models
            for model in configured {
                var object: JSONObject = ["provider": .string(provider.name), "id": .string(model.id), "configured": true]
                object["listed"] = .bool(listed.contains(model.id))
                // Configured or built in (the schema of models.list takes no more fields; providers.list says which).
                if let window = provider.contextWindow(of: model.id) { object["context_window"] = .int(window) }
                models.append(.object(object))
            }
            for name in listed where !configured.contains(where: { $0.id == name }) {
                var object: JSONObject = [
                    "provider": .string(provider.name), "id": .string(name), "configured": false, "listed": true,
                ]
                if let window = provider.contextWindow(of: name) { object["context_window"] = .int(window) }
                models.append(.object(object))
            }
        }
        return ["models": .array(models), "errors": .array(errors)]
    }

    private func fetch(_ provider: ProviderRegistry.Provider, transport: Transport) async -> Result<[String], KeyUnavailable> {
        if let cached = self.entries.withLockedValue({ $0[provider.name] }), ContinuousClock.now - cached.fetched < Self.lifetime {
            return .success(cached.models)
        }
        if let problem = provider.keyProblem { return .failure(KeyUnavailable(reason: "API key unavailable: \(problem)")) }
        var status = 0
        var body: [UInt8] = []
        do {
            let request = provider.prepare(provider.adapter.modelsRequest(endpoint: provider.endpoint), deadline: .seconds(15))
            for try await part in transport.execute(request) {
                switch part {
                case .head(let head): status = head.status
                case .body(let bytes): body += bytes
                }
            }
        } catch let error as TransportError {
            return .failure(KeyUnavailable(reason: "\(error)"))
        } catch {
            return .failure(KeyUnavailable(reason: "cancelled"))
        }
        guard (200..<300).contains(status), let names = provider.adapter.parseModels(body) else {
            return .failure(KeyUnavailable(reason: "models endpoint answered HTTP \(status)"))
        }
        self.entries.withLockedValue { $0[provider.name] = (.now, names) }
        return .success(names)
    }
}
