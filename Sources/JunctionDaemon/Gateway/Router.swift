import JunctionCore
import JunctionRPC

/// Turns what a request names — a route, a model, or neither — into the ordered targets to try.
struct Router {
    let config: DaemonConfig

    /// - Throws: `RPCError.invalidParams` for an unknown route, provider or model; -32001 when nothing is
    ///   configured at all.
    func targets(route: String?, model: String?) throws(RPCError) -> [TargetRef] {
        let enabled = { (target: TargetRef) in self.config.provider(named: target.provider)?.enabled == true }
        if let route {
            guard let configured = self.config.routes.first(where: { $0.name == route }) else {
                let known = self.config.routes.map(\.name).joined(separator: ", ")
                throw .invalidParams(field: "route", problem: "names no configured route (configured: \(known.isEmpty ? "none" : known))")
            }
            return try self.nonEmpty(configured.targets.filter(enabled), what: "route \"\(route)\"")
        }
        if let model {
            if let target = TargetRef(model), let provider = self.config.provider(named: target.provider) {
                guard provider.enabled else {
                    throw RPCError(code: RPCErrorCode.noProviderAvailable.rawValue, message: "provider \(provider.name) is disabled")
                }
                return [target]
            }
            // A bare model id: every enabled provider that lists it, by priority; else a route of that name.
            let listing = self.config.providers
                .filter { $0.enabled && $0.models.contains { $0.id == model } }
                .sorted { $0.priority < $1.priority }
                .map { TargetRef(provider: $0.name, model: model) }
            if !listing.isEmpty { return listing }
            if let configured = self.config.routes.first(where: { $0.name == model }) {
                return try self.nonEmpty(configured.targets.filter(enabled), what: "route \"\(model)\"")
            }
            throw .invalidParams(
                field: "model",
                problem: "\"\(model)\" is neither \"provider:model\" with a configured provider nor a model listed in the configuration"
            )
        }
        return try self.defaultTargets()
    }

    /// The implicit default route (no `[routes.default]`) as groups of equal priority, lowest first: within a
    /// group the gateway shares load by weight and latency. Nil when a default route is configured.
    func implicitDefaultGroups() -> [[TargetRef]]? {
        guard !self.config.routes.contains(where: { $0.name == "default" }) else { return nil }
        let enabled = self.config.providers.filter(\.enabled)
        let priorities = Set(enabled.map(\.priority)).sorted()
        return priorities.map { priority in
            enabled.filter { $0.priority == priority }.compactMap { provider in
                provider.defaultModel.map { TargetRef(provider: provider.name, model: $0) }
            }
        }.filter { !$0.isEmpty }
    }

    /// `[routes.default]`, else every enabled provider by priority with its default model.
    func defaultTargets() throws(RPCError) -> [TargetRef] {
        if let configured = self.config.routes.first(where: { $0.name == "default" }) {
            return try self.nonEmpty(
                configured.targets.filter { self.config.provider(named: $0.provider)?.enabled == true },
                what: "the default route"
            )
        }
        let targets = self.config.providers
            .filter(\.enabled)
            .enumerated()
            .sorted { ($0.element.priority, $0.offset) < ($1.element.priority, $1.offset) }
            .compactMap { entry in entry.element.defaultModel.map { TargetRef(provider: entry.element.name, model: $0) } }
        return try self.nonEmpty(targets, what: "the default route")
    }

    private func nonEmpty(_ targets: [TargetRef], what: String) throws(RPCError) -> [TargetRef] {
        guard !targets.isEmpty else {
            throw RPCError(
                code: RPCErrorCode.noProviderAvailable.rawValue,
                message: "No provider could answer: \(what) has no enabled target (configure providers or set an API key variable)"
            )
        }
        return targets
    }
}
