import Foundation
import JunctionCore
import JunctionRPC
import Testing

@testable import JunctionDaemon

@Suite("Configuration")
struct ConfigLoaderTests {
    private func problems(_ text: String) -> [ConfigProblem] {
        do {
            _ = try ConfigLoader.parse(text: text, file: "test.toml")
            return []
        } catch {
            return error.problems
        }
    }

    /// Found by the fuzz-config target: TOMLKit's parser asserted (SIGABRT) on `[` followed by U+001F.
    @Test func controlCharactersAreAProblemNotACrash() {
        #expect(self.problems("[\u{1F}").map(\.description) == [
            "test.toml:1: TOML syntax: control character U+001F is not allowed (inside a string, write it as an escape)"
        ])
        #expect(self.problems("[server]\r\n# ok\tso far\n\"\u{7F}\" = 1\n").map(\.line) == [3])
    }

    @Test func theAnnotatedExampleIsValidAndMatchesTheDefaults() throws {
        let text = try #require(readSmallFile(packageRoot() + "/config/junction.example.toml"))
        let loaded = try ConfigLoader.parse(text: text, file: "junction.example.toml")
        // The example documents the defaults: loading it changes nothing.
        #expect(loaded.config == DaemonConfig())
    }

    @Test func theExampleWithEveryCommentedKeyEnabledIsValid() throws {
        // Uncommenting every example line must give a valid file, so the documentation cannot rot.
        let text = try #require(readSmallFile(packageRoot() + "/config/junction.example.toml"))
        let enabled = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let trimmed = line.drop { $0 == " " }
            guard trimmed.hasPrefix("# "), let rest = Optional(trimmed.dropFirst(2)),
                rest.hasPrefix("[") || rest.range(of: #"^[a-z_]+ = "#, options: .regularExpression) != nil
            else { return String(line) }
            return String(rest)
        }.joined(separator: "\n")
        let loaded = try ConfigLoader.parse(text: enabled, file: "enabled.toml")
        #expect(loaded.config.server.socket == "/run/junction/junction.sock")
        #expect(loaded.config.server.adminGroup == "junction-admin")
        #expect(loaded.config.providers.map(\.name) == ["openai", "anthropic", "local"])
        #expect(loaded.config.routes.first?.targets.count == 2)
        #expect(loaded.config.defaults.proxy == "http://proxy.internal:3128")
        #expect(loaded.config.providers[0].models.first?.contextWindow == 128000)
        #expect(loaded.config.providers[0].key == .environment("OPENAI_API_KEY"))
        #expect(loaded.config.providers[2].kind == .openaiCompatible)
        #expect(loaded.config.accounting.budgets.map(\.name) == ["team-a", "everyone"])
        #expect(loaded.config.accounting.budgets[0].match == .uid(1000))
        #expect(loaded.config.accounting.budgets[1].match == .global)
        #expect(loaded.config.http.tokens.map(\.name) == ["app", "ci"])
        #expect(loaded.config.http.tokens.last?.source == .credential("junction-ci-token"))
    }

    @Test func readsEveryServerKey() throws {
        let loaded = try ConfigLoader.parse(
            text: """
                [server]
                socket = "/tmp/x.sock"
                socket_mode = "0600"
                max_connections = 7
                max_line_bytes = 4096
                max_inflight_per_connection = 3
                max_json_depth = 10
                max_write_buffer_bytes = 100000
                drain_timeout = "250ms"
                log_level = "debug"
                """,
            file: "t.toml"
        )
        let server = loaded.config.server
        #expect(server.socket == "/tmp/x.sock")
        #expect(server.socketMode == 0o600)
        #expect(server.maxConnections == 7)
        #expect(server.maxLineBytes == 4096)
        #expect(server.maxInflightPerConnection == 3)
        #expect(server.maxJSONDepth == 10)
        #expect(server.maxWriteBufferBytes == 100000)
        #expect(server.drainTimeout == .milliseconds(250))
        #expect(server.logLevel == .debug)
    }

    @Test func unknownKeyIsReportedWithLineAndPath() {
        let problems = self.problems("[server]\nmax_conections = 5\n")
        #expect(problems.count == 1)
        #expect(problems.first?.description.hasPrefix("test.toml:2: server.max_conections: unknown key") == true)
    }

    @Test func unknownTableIsReported() {
        let problems = self.problems("# comment\n\n[sever]\nsocket = \"/x\"\n")
        #expect(
            problems.map(\.description) == [
                "test.toml:3: sever: unknown key (known keys here: accounting, budgets, cache, defaults, http, ledger, "
                    + "log, metrics, providers, resilience, routes, server, shared)"
            ]
        )
    }

    @Test func wrongTypeIsReportedWithLineAndPath() {
        let problems = self.problems("[server]\nlog_level = \"info\"\nmax_connections = \"many\"\n")
        #expect(problems.map(\.description) == ["test.toml:3: server.max_connections: must be an integer, got a string"])
    }

    @Test func outOfRangeAndMalformedValues() {
        let problems = self.problems(
            """
            [server]
            max_connections = 0
            drain_timeout = "soon"
            socket_mode = "999"
            log_level = "loud"
            socket = "relative.sock"
            """
        ).map(\.description)
        #expect(problems.contains("test.toml:2: server.max_connections: must be between 1 and 1000000, got 0"))
        #expect(problems.contains { $0.hasPrefix("test.toml:3: server.drain_timeout: \"soon\" is not a duration") })
        #expect(problems.contains { $0.hasPrefix("test.toml:4: server.socket_mode: must be an octal file mode") })
        #expect(problems.contains { $0.hasPrefix("test.toml:5: server.log_level: must be one of") })
        #expect(problems.contains("test.toml:6: server.socket: must be an absolute path"))
        #expect(problems.count == 5)
    }

    /// Issue 8, defect 10: the cap on idle upstream connections and their lifetime.
    @Test func idleUpstreamConnectionKeys() throws {
        let loaded = try ConfigLoader.parse(
            text: "[defaults]\nmax_idle_connections = 8\nidle_connection_timeout = \"30s\"\n", file: "test.toml"
        )
        #expect(loaded.config.defaults.maxIdleConnections == 8)
        #expect(loaded.config.defaults.idleConnectionTimeout == .seconds(30))
        // 0 would be libcurl's "four per transfer ever added", not "none".
        let problems = self.problems("[defaults]\nmax_idle_connections = 0\n").map(\.description)
        #expect(problems == ["test.toml:2: defaults.max_idle_connections: must be between 1 and 65536, got 0"])
    }

    @Test func syntaxErrorsCarryTheirLine() {
        let problems = self.problems("[server]\nmax_connections = 5\nsocket = \"unterminated\n")
        #expect(problems.count == 1)
        #expect(problems.first?.line == 3)
        #expect(problems.first?.message.hasPrefix("TOML syntax") == true)
    }

    @Test func providerMistakes() {
        let problems = self.problems(
            """
            [providers.mine]
            base_url = "http://127.0.0.1:1/v1"

            [providers.openai]
            api_key_env = "A"
            api_key_file = "/k"

            [providers.odd]
            kind = "gpt"

            [providers.local]
            kind = "openai-compatible"

            [providers.anthropic]
            base_url = "ftp://x"
            [[providers.anthropic.models]]
            context_window = 5
            """
        ).map(\.description)
        #expect(problems.contains("test.toml:1: providers.mine.kind: is required (the table name \"mine\" is not a provider kind)"))
        #expect(problems.contains { $0.hasPrefix("test.toml:5: providers.openai.api_key_env: give only one of") })
        #expect(problems.contains { $0.hasPrefix("test.toml:9: providers.odd.kind: unknown provider kind \"gpt\"") })
        #expect(problems.contains("test.toml:11: providers.local.base_url: is required for kind \"openai-compatible\""))
        #expect(problems.contains("test.toml:15: providers.anthropic.base_url: must start with http:// or https://"))
        #expect(problems.contains("test.toml:16: providers.anthropic.models[0].id: is required"))
    }

    @Test func defaultsRoutesAndProviderOverrides() throws {
        let loaded = try ConfigLoader.parse(
            text: """
                [defaults]
                timeout = "60s"
                ttft_timeout = "3s"
                proxy = "http://proxy.local:3128"
                no_proxy = "localhost"

                [providers.openai]
                first_byte_timeout = "4s"
                proxy = "direct"
                [providers.openai.headers]
                OpenAI-Organization = "org-1"

                [providers.local]
                kind = "ollama"

                [routes.default]
                targets = ["openai:gpt-4o-mini", "local:llama3.2:3b"]
                """,
            file: "t.toml"
        )
        let config = loaded.config
        #expect(config.defaults.timeout == .seconds(60))
        #expect(config.defaults.ttftTimeout == .seconds(3))
        #expect(config.defaults.proxy == "http://proxy.local:3128")
        #expect(config.providers[0].overrides.firstByteTimeout == .seconds(4))
        #expect(config.providers[0].overrides.proxy == .some(nil))
        #expect(config.providers[0].headers == [HeaderConfig(name: "OpenAI-Organization", value: "org-1")])
        #expect(config.routes == [
            RouteConfig(name: "default", targets: [
                TargetRef(provider: "openai", model: "gpt-4o-mini"), TargetRef(provider: "local", model: "llama3.2:3b"),
            ])
        ])
        let registry = ProviderRegistry(config: config, environment: ["OPENAI_API_KEY": "k"])
        #expect(registry.provider(named: "openai")?.proxy == nil)
        #expect(registry.provider(named: "local")?.proxy == "http://proxy.local:3128")
        #expect(registry.provider(named: "openai")?.timeouts.firstByte == .seconds(4))
        #expect(registry.provider(named: "local")?.ttftTimeout == .seconds(3))
    }

    @Test func routeMistakes() {
        let problems = self.problems(
            """
            [providers.openai]
            [routes.a]
            targets = ["openai"]
            [routes.b]
            targets = ["anthropic:claude"]
            [routes.c]
            """
        ).map(\.description)
        #expect(problems.contains { $0.hasPrefix("test.toml:3: routes.a.targets: element 1 must be a \"provider:model\"") })
        #expect(problems.contains { $0.hasPrefix("test.toml:5: routes.b.targets: \"anthropic:claude\" names provider \"anthropic\"") })
        #expect(problems.contains { $0.hasPrefix("test.toml:6: routes.c.targets: is required") })
    }

    @Test func routingPicksTargetsAsDocumented() throws {
        let config = try ConfigLoader.parse(
            text: """
                [providers.openai]
                priority = 2
                [[providers.openai.models]]
                id = "shared"
                [providers.anthropic]
                priority = 1
                [[providers.anthropic.models]]
                id = "shared"
                [providers.off]
                kind = "gemini"
                enabled = false
                [routes.fast]
                targets = ["anthropic:claude-3-5-haiku-latest", "off:gemini-2.0-flash"]
                """,
            file: "t.toml"
        ).config
        let keys = ["ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "k", "GEMINI_API_KEY": "k"]
        let table = ProviderRegistry(config: config, environment: keys).routingTable(routes: config.routes)
        func targets(_ selection: RouteSelection) throws -> [TargetRef] {
            try RoutingPlanner.candidates(table, for: selection).flatMap { $0 }
        }
        // The disabled target stays in the candidates: the plan shows it as skipped ("disabled").
        #expect(try targets(.route("fast")).map(\.provider) == ["anthropic", "off"])
        let plan = RoutingPlanner.plan(
            table, candidates: try RoutingPlanner.candidates(table, for: .route("fast")), promptTokens: nil, views: [:],
            random: { 0 }, at: .now
        )
        #expect(plan.eligible == [TargetRef(provider: "anthropic", model: "claude-3-5-haiku-latest")])
        #expect(plan.skipped.map(\.reason) == [.disabled])
        #expect(try targets(.model("openai:gpt-x")) == [TargetRef(provider: "openai", model: "gpt-x")])
        #expect(try targets(.model("shared")).map(\.provider) == ["anthropic", "openai"])
        #expect(try targets(.automatic).map(\.provider) == ["anthropic", "off", "openai"])
        #expect(throws: RoutingError.self) { try targets(.model("unknown-model")) }
        #expect(throws: RoutingError.self) { try targets(.route("missing")) }
        #expect(throws: RoutingError.self) { try RoutingPlanner.candidates(RoutingTable(), for: .automatic) }
    }

    @Test func keySourcesAndTheirDefaults() throws {
        let loaded = try ConfigLoader.parse(
            text: """
                [providers.openai]
                [providers.claude]
                kind = "anthropic"
                api_key_credential = "anthropic"
                [providers.gemini]
                api_key_file = "/etc/junction/gemini.key"
                [providers.ollama]
                """,
            file: "t.toml"
        )
        let keys = Dictionary(uniqueKeysWithValues: loaded.config.providers.map { ($0.name, $0.key) })
        #expect(keys["openai"] == .environment("OPENAI_API_KEY"))
        #expect(keys["claude"] == .credential("anthropic"))
        #expect(keys["gemini"] == .file("/etc/junction/gemini.key"))
        #expect(keys["ollama"] == .some(nil))
    }

    @Test func anInlineKeyInAReadableFileIsWarnedAboutAndNeverPrinted() throws {
        let text = "[providers.openai]\napi_key = \"sk-secret-123\"\n"
        let readable = try ConfigLoader.parse(text: text, file: "t.toml", readableByOthers: true)
        #expect(readable.warnings.count == 1)
        #expect(readable.warnings.first?.contains("readable by other users") == true)
        #expect(!"\(readable.config)".contains("sk-secret-123"))
        #expect(!String(reflecting: readable.config).contains("sk-secret-123"))
        #expect(try readable.config.providers[0].key?.read(environment: [:]).get() == "sk-secret-123")
        let privateFile = try ConfigLoader.parse(text: text, file: "t.toml", readableByOthers: false)
        #expect(privateFile.warnings.isEmpty)
    }

    @Test func keysAreReadFromTheirSources() throws {
        #expect(try KeySource.environment("K").read(environment: ["K": "v1"]).get() == "v1")
        #expect(throws: KeyUnavailable.self) { try KeySource.environment("K").read(environment: [:]).get() }
        let directory = try TemporaryDirectory()
        try directory.write("cred", contents: "v2\n")
        #expect(try KeySource.credential("cred").read(environment: ["CREDENTIALS_DIRECTORY": directory.path]).get() == "v2")
        #expect(try KeySource.file(directory.path + "/cred").read(environment: [:]).get() == "v2")
        let missing = KeySource.file(directory.path + "/none").read(environment: [:])
        #expect(throws: KeyUnavailable.self) { try missing.get() }
    }

    @Test func withoutAFileProvidersComeFromTheEnvironment() throws {
        let config = ConfigLoader.defaults(environment: [
            "OPENAI_API_KEY": "x", "GOOGLE_API_KEY": "y", "DEEPSEEK_API_KEY": "", "DASHSCOPE_API_KEY": "z",
        ])
        #expect(config.providers.map(\.name) == ["openai", "gemini", "qwen"])
        #expect(config.providers[1].key == .environment("GOOGLE_API_KEY"))
        // A local Ollama that answers joins them, keyless; the default route then has all four.
        let withOllama = ConfigLoader.defaults(environment: ["OPENAI_API_KEY": "x"], localOllama: true)
        #expect(withOllama.providers.map(\.name) == ["openai", "ollama"])
        #expect(withOllama.providers[1].key == nil)
        let table = ProviderRegistry(config: withOllama, environment: [:]).routingTable(routes: withOllama.routes)
        #expect(
            try RoutingPlanner.candidates(table, for: .automatic).flatMap { $0 }.map(\.description)
                == ["openai:gpt-4o-mini", "ollama:llama3.2"]
        )
    }

    @Test func aMissingOptionalFileMeansDefaults() throws {
        let loaded = try ConfigLoader.load(path: "/nonexistent/junction.toml", required: false, environment: [:])
        #expect(loaded.path == nil)
        #expect(throws: ConfigErrors.self) {
            try ConfigLoader.load(path: "/nonexistent/junction.toml", required: true, environment: [:])
        }
    }

    @Test func socketLocationFollowsTheDocumentedOrder() {
        #expect(SocketLocation.resolve(commandLine: "/a", configured: "/b", environment: [:], uid: 0) == "/a")
        #expect(SocketLocation.resolve(commandLine: nil, configured: "/b", environment: [:], uid: 0) == "/b")
        #expect(
            SocketLocation.resolve(commandLine: nil, configured: nil, environment: ["RUNTIME_DIRECTORY": "/run/j"], uid: 5)
                == "/run/j/junction.sock"
        )
        #expect(SocketLocation.resolve(commandLine: nil, configured: nil, environment: [:], uid: 0) == "/run/junction/junction.sock")
        #expect(
            SocketLocation.resolve(commandLine: nil, configured: nil, environment: ["XDG_RUNTIME_DIR": "/run/user/5"], uid: 5)
                == "/run/user/5/junction/junction.sock"
        )
    }
}
