import Foundation
import JunctionClient
import JunctionCore
import JunctionProviders
import JunctionRPC
import Logging
import Testing

@testable import JunctionDaemon

extension EndToEnd {
    /// `rpc-schema/openrpc.json` is the contract: it and the daemon must describe the same methods and errors.
    @Suite("OpenRPC document")
    struct SchemaTests {
        let document: JSONValue

        init() throws {
            let bytes = try #require(FileManager.default.contents(atPath: packageRoot() + "/rpc-schema/openrpc.json"))
            self.document = try JSONValue.parse(Array(bytes), maxDepth: 256)
        }

        private var methods: [JSONValue] { self.document["methods"]?.arrayValue ?? [] }

        @Test func describesExactlyTheMethodsTheServerRegisters() throws {
            let runtime = DaemonRuntime(
                loaded: LoadedConfig(config: DaemonConfig(), path: nil, warnings: []),
                socketPath: "/tmp/x",
                socketActivated: false,
                watchdogInterval: nil,
                logSink: .stderr
            )
            let transport = Transport()
            let events = EventBus()
            let resilience = Resilience(events: events, logger: Logger(label: "test"))
            let ledger = LedgerWriter(store: nil, path: nil, settings: .init(), logger: Logger(label: "test"))
            let budgets = Budgets(config: AccountingConfig(), events: events, logger: Logger(label: "test"))
            let cache = ResponseCache(configuration: { CacheConfig() })
            let stats = StatsCollector(calendar: { FixedOffsetCalendar.utc })
            let metrics = MetricsExporter(
                recorder: MetricsRecorder(configuration: { runtime.active }),
                sources: MetricsExporter.Sources(
                    resilience: { resilience.metricsState(registry: runtime.active.registry) },
                    budgets: { budgets.statusOfAll() }, cache: { cache.stats },
                    live: { LiveCounters(connections: 0, inflight: 0, eventSubscribers: 0) }, ledgerDroppedRows: { 0 }
                )
            )
            let catalog = MethodCatalog.all(
                runtime: runtime, reloader: { nil },
                gateway: Gateway(
                    configuration: { runtime.active }, executor: transport, resilience: resilience,
                    reporter: OutcomeReporter(resilience: resilience, subscribers: []), logger: Logger(label: "test")
                ),
                transport: transport, resilience: resilience, events: events,
                ledger: ledger,
                budgets: budgets,
                unknownPrices: UnknownPrices(logger: Logger(label: "test")),
                cache: cache,
                metrics: metrics,
                utcOffsetSeconds: { _ in 0 },
                snapshot: StatsSnapshot(
                    runtime: runtime, stats: stats, resilience: resilience, budgets: budgets, cache: cache,
                    flights: { 0 }, ledger: ledger
                ),
                feedback: FeedbackRecorder(ledger: ledger, stats: stats)
            )
            let registered = Set(catalog.map(\.name))
            let documented = Set(self.methods.compactMap { $0["name"]?.stringValue })
            #expect(registered == documented)
            #expect(registered.count == catalog.count)
        }

        @Test func listsEveryErrorCode() {
            let documented = Set(
                (self.document["components"]?["errors"]?.objectValue?.members ?? []).compactMap { $0.value["code"]?.intValue }
            )
            #expect(documented == Set(RPCErrorCode.allCases.map(\.rawValue)))
            // Junction's own codes stay inside the range JSON-RPC reserves for implementations.
            let standard: Set = [-32700, -32600, -32601, -32602, -32603]
            for code in RPCErrorCode.allCases.map(\.rawValue) where !standard.contains(code) {
                #expect((-32099)...(-32000) ~= code, "\(code)")
            }
        }

        @Test func everyErrorReferenceResolves() {
            let names = Set(self.document["components"]?["errors"]?.objectValue?.keys ?? [])
            for method in self.methods {
                for reference in method["errors"]?.arrayValue ?? [] {
                    let target = reference["$ref"]?.stringValue ?? ""
                    #expect(target.hasPrefix("#/components/errors/"))
                    #expect(names.contains(String(target.dropFirst("#/components/errors/".count))), "\(target)")
                }
            }
        }

        @Test func examplesValidateAgainstTheirSchemasAndAgainstTheDaemon() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            // Made before the examples run (one of them disables the provider).
            let rated = try client.call(
                "generate", params: ["prompt": "hi", "model": "openai:gpt-4o-mini"]
            )["request_id"]
            for method in self.methods {
                let name = try #require(method["name"]?.stringValue)
                let declared = method["params"]?.arrayValue ?? []
                let examples = method["examples"]?.arrayValue ?? []
                #expect(!examples.isEmpty, "\(name) has no example")
                for example in examples {
                    var params = JSONObject()
                    for param in example["params"]?.arrayValue ?? [] {
                        let paramName = try #require(param["name"]?.stringValue)
                        let schema = declared.first { $0["name"]?.stringValue == paramName }?["schema"]
                        #expect(schema != nil, "\(name): example names undeclared param \(paramName)")
                        let problems = SchemaValidator.problems(param["value"] ?? .null, against: schema ?? .null)
                        #expect(problems.isEmpty, "\(name).\(paramName): \(problems)")
                        params[paramName] = param["value"]
                    }
                    for param in declared where param["required"] == true {
                        #expect(params[param["name"]?.stringValue ?? ""] != nil, "\(name): example lacks a required param")
                    }
                    if name == "feedback" {
                        // The example rates a request of another daemon: here it rates one of this daemon's.
                        params["request_id"] = rated
                    }
                    let resultSchema = method["result"]?["schema"] ?? .null
                    let exampleResult = example["result"]?["value"] ?? .null
                    #expect(SchemaValidator.problems(exampleResult, against: resultSchema).isEmpty, "\(name) example result")
                    // The example request, sent for real, is accepted and answers what the schema says.
                    let live = try client.call(name, params: .object(params))
                    let problems = SchemaValidator.problems(live, against: resultSchema)
                    #expect(problems.isEmpty, "\(name) live result: \(problems)")
                }
            }
        }

        @Test func rpcDiscoverReturnsTheDocument() throws {
            let daemon = try DaemonProcess()
            #expect(try daemon.client().call("rpc.discover") == self.document)
            #expect(OpenRPCDocument.value == self.document)
        }
    }
}
