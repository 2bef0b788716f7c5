import JunctionCore
import JunctionRPC

/// `routes.plan`: where a request would go now, and why not elsewhere.
enum RouteMethods {
    static func all(gateway: Gateway) -> [RPCMethod] {
        [
            RPCMethod("routes.plan") { params, _ in
                let params = try Params(params, known: ["model", "route", "prompt_tokens"])
                let model = try params.string("model")
                let route = try params.string("route")
                if model != nil, route != nil {
                    throw RPCError.invalidParams(field: "route", problem: "give either model or route, not both")
                }
                let promptTokens = try params.int("prompt_tokens", in: 0...100_000_000)
                let selection = RouteSelection(route: route, model: model)
                let now = ContinuousClock.now
                let plan: RoutingPlan
                do {
                    plan = try gateway.plan(
                        selection, promptTokens: promptTokens, tokens: (promptTokens ?? 0) + 1024, at: now
                    )
                } catch let error as RoutingError {
                    switch error.kind {
                    case .invalidField(let field): throw RPCError.invalidParams(field: field, problem: error.message)
                    case .nothingConfigured:
                        throw RPCError(code: RPCErrorCode.noProviderAvailable.rawValue, message: error.message)
                    }
                }
                return self.encode(plan, selection: selection, promptTokens: promptTokens, at: now)
            }
        ]
    }

    static func encode(
        _ plan: RoutingPlan,
        selection: RouteSelection,
        promptTokens: Int?,
        at now: ContinuousClock.Instant
    ) -> JSONValue {
        let selected: JSONValue =
            switch selection {
            case .route(let name): ["route": .string(name)]
            case .model(let model): ["model": .string(model)]
            case .automatic: ["route": "default"]
            }
        let targets: [JSONValue] = plan.entries.map { entry in
            var object: JSONObject = [
                "provider": .string(entry.target.provider), "model": .string(entry.target.model),
            ]
            switch entry.verdict {
            case .eligible(let wait):
                object["eligible"] = true
                if let wait { object["window_wait_ms"] = .int(wait.milliseconds) }
            case .skipped(let reason):
                object["eligible"] = false
                object["reason"] = .string(reason.code)
                object["detail"] = .string(reason.detail(at: now))
                if let until = reason.until { object["until_ms"] = .int(max(0, (until - now).milliseconds)) }
            }
            return .object(object)
        }
        return [
            "selection": selected,
            "prompt_tokens": promptTokens.map { .int($0) } ?? .null,
            "targets": .array(targets),
            "eligible": .int(plan.eligible.count),
            "all_open_fallback": plan.allOpenFallback.map {
                ["provider": .string($0.provider), "model": .string($0.model)]
            } ?? .null,
        ]
    }
}
