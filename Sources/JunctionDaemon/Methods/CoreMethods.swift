import JunctionCore
import JunctionProviders
import JunctionRPC

/// Every method the daemon serves. The schema test holds this list and `rpc-schema/openrpc.json` equal.
enum MethodCatalog {
    static func all(
        runtime: DaemonRuntime,
        reloader: @escaping @Sendable () -> ConfigReloader?,
        gateway: Gateway,
        transport: Transport,
        resilience: Resilience,
        events: EventBus,
        ledger: LedgerWriter,
        budgets: Budgets,
        unknownPrices: UnknownPrices,
        cache: ResponseCache,
        metrics: MetricsExporter,
        utcOffsetSeconds: @escaping @Sendable (Int64) -> Int,
        snapshot: StatsSnapshot,
        feedback: FeedbackRecorder
    ) -> [RPCMethod] {
        CoreMethods.all(
            runtime: runtime, reloader: reloader, resilience: resilience, ledger: ledger, unknownPrices: unknownPrices
        )
            + ProviderMethods.all(
                runtime: runtime, gateway: gateway, budgets: budgets, transport: transport, resilience: resilience
            )
            + QuotaMethods.all(budgets: budgets, runtime: runtime)
            + RouteMethods.all(gateway: gateway)
            + PriceMethods.all(runtime: runtime)
            + HealthMethods.all(
                runtime: runtime, resilience: resilience, prober: Prober(transport: transport, resilience: resilience), events: events
            )
            + UsageMethods.all(ledger: ledger, utcOffsetSeconds: utcOffsetSeconds)
            + CacheMethods.all(cache: cache, flights: { gateway.flightsInProgress })
            + StatsMethods.all(snapshot: snapshot, feedback: feedback)
            + MetricsMethods.all(exporter: metrics, clientLabels: { runtime.config.metrics.clientLabels })
    }
}

/// The methods every Junction daemon has: `ping`, `rpc.discover`, `daemon.status`, `admin.reload`, `cancel`.
enum CoreMethods {
    static func all(
        runtime: DaemonRuntime,
        reloader: @escaping @Sendable () -> ConfigReloader?,
        resilience: Resilience,
        ledger: LedgerWriter,
        unknownPrices: UnknownPrices
    ) -> [RPCMethod] {
        [
            RPCMethod("ping") { params, _ in
                let params = try Params(params, known: ["delay_ms"])
                // `delay_ms` makes ping a long-running request on demand: for testing client timeouts,
                // `cancel`, and shutdown drain without a provider.
                if let delay = try params.int("delay_ms", in: 0...600_000), delay > 0 {
                    try await Task.sleep(for: .milliseconds(delay))
                }
                return [
                    "pong": true,
                    "version": .string(JunctionVersion.current),
                    "uptime_ms": .int(runtime.uptime.milliseconds),
                ]
            },
            RPCMethod("rpc.discover") { params, _ in
                _ = try Params(params, known: [])
                return OpenRPCDocument.value
            },
            RPCMethod("daemon.status") { params, _ in
                _ = try Params(params, known: [])
                return self.status(
                    runtime, adminDisabled: resilience.adminDisabledProviders(), ledger: ledger.status,
                    unknownPrices: unknownPrices.targets, shared: resilience.sharedStatus
                )
            },
            RPCMethod("admin.reload") { params, _ in
                _ = try Params(params, known: [])
                guard let reloader = reloader() else { throw RPCError.internalError }
                switch reloader.reload(trigger: "admin.reload") {
                case .success(let loaded):
                    return [
                        "reloaded": true,
                        "config_path": loaded.path.map(JSONValue.string) ?? .null,
                        "providers": .int(loaded.config.providers.count),
                        "warnings": .array(loaded.warnings.map(JSONValue.string)),
                    ]
                case .failure(let errors):
                    throw RPCError.configInvalid(errors)
                }
            },
            RPCMethod("cancel") { params, context in
                let params = try Params(params, known: ["id"])
                guard let raw = params.value("id") else { throw RPCError.invalidParams(field: "id", problem: "is required") }
                guard let id = RequestID(raw) else {
                    throw RPCError.invalidParams(field: "id", problem: "must be a request id (a string or a number)")
                }
                return ["cancelled": .bool(context.connection.cancel(id: id) > 0)]
            },
        ]
    }

    static func status(
        _ runtime: DaemonRuntime,
        adminDisabled: Set<String>,
        ledger: LedgerStatus,
        unknownPrices: [TargetRef] = [],
        shared: JSONValue = ["state": "disabled"]
    ) -> JSONValue {
        let loaded = runtime.current
        let providers = loaded.config.providers
        let enabled = providers.filter { $0.enabled && !adminDisabled.contains($0.name) }
        return [
            "version": .string(JunctionVersion.current),
            "pid": .int(runtime.pid),
            "uid": .int(runtime.uid),
            "uptime_ms": .int(runtime.uptime.milliseconds),
            "socket": .string(runtime.socketPath),
            "socket_activated": .bool(runtime.socketActivated),
            "config_path": loaded.path.map(JSONValue.string) ?? .null,
            "connections": .int(runtime.connectionCount),
            "inflight_requests": .int(runtime.inflightCount),
            "event_subscribers": .int(runtime.eventSubscriberCount),
            "providers": .int(providers.count),
            "providers_enabled": .int(enabled.count),
            "providers_disabled_by_admin": .array(
                providers.map(\.name).filter { adminDisabled.contains($0) }.map(JSONValue.string)
            ),
            "log_level": .string(loaded.config.server.logLevel.rawValue),
            "log_sink": .string(runtime.logSink == .journal ? "journal" : "stderr"),
            "watchdog_ms": runtime.watchdogInterval.map { .int($0.milliseconds) } ?? .null,
            "libcurl": .string(CurlRuntime.versionDescription),
            "ledger": ledger.json,
            // Billed models without a price: their cost is recorded as unknown until one is configured.
            "unknown_price_models": .int(unknownPrices.count),
            "unknown_price_targets": .array(unknownPrices.map { .string($0.description) }),
            // The fleet's shared state ([shared]): connected, degraded_local (Redis away: limits hold per daemon)
            // or disabled.
            "shared": shared,
        ]
    }
}

extension RPCError {
    /// The configuration given to `admin.reload` is invalid; `data.problems` lists every problem.
    static func configInvalid(_ errors: ConfigErrors) -> RPCError {
        RPCError(
            code: RPCErrorCode.configInvalid.rawValue,
            message: "Configuration invalid, previous configuration kept: \(errors.problems.first?.description ?? "")",
            data: ["problems": .array(errors.problems.map { .string($0.description) })]
        )
    }
}

/// The OpenRPC document (`rpc-schema/openrpc.json`), compiled into the binary so `rpc.discover` always
/// describes the daemon that answers.
enum OpenRPCDocument {
    static let bytes: [UInt8] = PackageResources.openrpc_json

    static let value: JSONValue = {
        do {
            return try JSONValue.parse(Self.bytes, maxDepth: 256)
        } catch {
            preconditionFailure("rpc-schema/openrpc.json is not valid JSON: \(error)")
        }
    }()
}
