#if canImport(Glibc)
import Glibc
#endif
import JunctionCore
import Logging
import TOMLKit

/// A configuration that loaded, with what the operator should hear about it.
struct LoadedConfig: Sendable {
    var config: DaemonConfig
    /// The file it came from; nil when the daemon runs on defaults.
    var path: String?
    /// Non-fatal findings: an inline key in a readable file, an admin group that does not exist, ...
    var warnings: [String]
}

/// Reads `junction.toml` into a `DaemonConfig`, reporting every mistake with file, line and key path.
enum ConfigLoader {
    static let defaultPath = "/etc/junction/junction.toml"

    /// Loads the file at `path`. With `required == false` a missing file means "run on defaults".
    /// - Parameter localOllama: asked only when the daemon runs on defaults: whether an Ollama server answers on
    ///   its standard local port (it is then configured too).
    static func load(
        path: String,
        required: Bool,
        environment: [String: String],
        localOllama: () -> Bool = { false }
    ) throws(ConfigErrors) -> LoadedConfig {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if !required, errno == ENOENT {
                return LoadedConfig(
                    config: Self.defaults(environment: environment, localOllama: localOllama()),
                    path: nil,
                    warnings: []
                )
            }
            let reason = String(cString: strerror(errno))
            throw ConfigErrors(problems: [ConfigProblem(file: path, line: nil, keyPath: "", message: "cannot read: \(reason)")])
        }
        guard let text = readSmallFile(path, limit: 16 << 20) else {
            let reason = String(cString: strerror(errno))
            throw ConfigErrors(problems: [ConfigProblem(file: path, line: nil, keyPath: "", message: "cannot read: \(reason)")])
        }
        let readableByOthers = status.st_mode & S_IROTH != 0
        return try Self.parse(text: text, file: path, readableByOthers: readableByOthers, environment: environment)
    }

    /// The configuration used when there is no file: default server settings and one provider for each
    /// conventional API-key variable that is set.
    static func defaults(environment: [String: String], localOllama: Bool = false) -> DaemonConfig {
        var config = DaemonConfig()
        for kind in ProviderKind.allCases {
            guard let variable = kind.conventionalKeyVariables.first(where: { environment[$0]?.isEmpty == false }),
                let baseURL = kind.defaultBaseURL
            else { continue }
            config.providers.append(
                ProviderConfig(name: kind.rawValue, kind: kind, baseURL: baseURL, key: .environment(variable))
            )
        }
        if localOllama, let baseURL = ProviderKind.ollama.defaultBaseURL {
            config.providers.append(ProviderConfig(name: "ollama", kind: .ollama, baseURL: baseURL, key: nil))
        }
        return config
    }

    static func parse(
        text: String,
        file: String,
        readableByOthers: Bool = false,
        environment: [String: String] = [:]
    ) throws(ConfigErrors) -> LoadedConfig {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigErrors(problems: [
                ConfigProblem(file: file, line: error.source.begin.line, keyPath: "", message: "TOML syntax: \(error.description)")
            ])
        } catch {
            throw ConfigErrors(problems: [ConfigProblem(file: file, line: nil, keyPath: "", message: "TOML syntax error")])
        }
        let report = ConfigReport(file: file, locator: TOMLSourceLocator(text: text))
        let root = ConfigTable(table: table, path: "", report: report)
        var config = DaemonConfig()
        if let server = root.table("server") { config.server = Self.readServer(server) }
        if let defaults = root.table("defaults") { config.defaults = Self.readDefaults(defaults) }
        if let providers = root.table("providers") {
            // The TOML library returns keys sorted; keep the order of the file, which is the order people mean.
            let names = providers.keys.sorted {
                (report.locator.line(of: "providers.\($0)") ?? .max, $0) < (report.locator.line(of: "providers.\($1)") ?? .max, $1)
            }
            for name in names {
                guard let provider = providers.table(name) else { continue }
                if let parsed = Self.readProvider(name: name, provider) { config.providers.append(parsed) }
            }
        }
        if let routes = root.table("routes") {
            let names = routes.keys.sorted {
                (report.locator.line(of: "routes.\($0)") ?? .max, $0) < (report.locator.line(of: "routes.\($1)") ?? .max, $1)
            }
            for name in names {
                guard let route = routes.table(name) else { continue }
                if let parsed = Self.readRoute(name: name, route, providers: config.providers) { config.routes.append(parsed) }
            }
        }
        root.rejectUnknownKeys(allowed: ["server", "defaults", "providers", "routes"])
        if !report.problems.isEmpty { throw ConfigErrors(problems: report.problems) }

        var warnings: [String] = []
        for provider in config.providers where provider.key?.isInline == true && readableByOthers {
            warnings.append(
                "\(file): providers.\(provider.name).api_key: the file is readable by other users and holds an API key; "
                    + "use api_key_env, api_key_file or api_key_credential, or chmod o-r the file"
            )
        }
        return LoadedConfig(config: config, path: file, warnings: warnings)
    }

    // MARK: - Sections

    private static func readServer(_ table: ConfigTable) -> ServerConfig {
        var server = ServerConfig()
        if let socket = table.string("socket") {
            if socket.hasPrefix("/") { server.socket = socket } else { table.problem("socket", "must be an absolute path") }
        }
        if let mode = table.value("socket_mode") {
            let parsed: UInt32? =
                switch mode {
                case .string(let text): UInt32(text.hasPrefix("0o") ? String(text.dropFirst(2)) : text, radix: 8)
                case .int(let number): UInt32(exactly: number)
                default: nil
                }
            if let parsed, parsed <= 0o777 {
                server.socketMode = parsed
            } else {
                table.problem("socket_mode", "must be an octal file mode such as \"0660\"")
            }
        }
        server.socketGroup = table.string("socket_group")
        server.adminGroup = table.string("admin_group")
        server.maxConnections = table.int("max_connections", in: 1...1_000_000) ?? server.maxConnections
        server.maxLineBytes = table.int("max_line_bytes", in: 1024...(1 << 30)) ?? server.maxLineBytes
        server.maxInflightPerConnection =
            table.int("max_inflight_per_connection", in: 1...1_000_000) ?? server.maxInflightPerConnection
        server.maxJSONDepth = table.int("max_json_depth", in: 4...10_000) ?? server.maxJSONDepth
        server.maxWriteBufferBytes =
            table.int("max_write_buffer_bytes", in: 65_536...(1 << 31)) ?? server.maxWriteBufferBytes
        server.drainTimeout = table.duration("drain_timeout") ?? server.drainTimeout
        if let level = table.string("log_level") {
            if let parsed = Logger.Level(configName: level) {
                server.logLevel = parsed
            } else {
                table.problem("log_level", "must be one of \(Logger.Level.configNames), got \"\(level)\"")
            }
        }
        table.rejectUnknownKeys(allowed: [
            "socket", "socket_mode", "socket_group", "admin_group", "max_connections", "max_line_bytes",
            "max_inflight_per_connection", "max_json_depth", "max_write_buffer_bytes", "drain_timeout", "log_level",
        ])
        return server
    }

    private static func readDefaults(_ table: ConfigTable) -> RequestDefaults {
        var defaults = RequestDefaults()
        defaults.timeout = table.duration("timeout") ?? defaults.timeout
        defaults.connectTimeout = table.duration("connect_timeout") ?? defaults.connectTimeout
        defaults.firstByteTimeout = table.duration("first_byte_timeout") ?? defaults.firstByteTimeout
        defaults.ttftTimeout = table.duration("ttft_timeout") ?? defaults.ttftTimeout
        defaults.streamIdleTimeout = table.duration("stream_idle_timeout") ?? defaults.streamIdleTimeout
        defaults.maxResponseBytes = table.int("max_response_bytes", in: 1024...(1 << 31)) ?? defaults.maxResponseBytes
        defaults.maxConnectionsPerHost = table.int("max_connections_per_host", in: 1...65_536) ?? defaults.maxConnectionsPerHost
        if let proxy = Self.readProxy(table) { defaults.proxy = proxy }
        defaults.noProxy = table.string("no_proxy")
        defaults.policy = table.policyOverrides()
        table.rejectUnknownKeys(
            allowed: [
                "timeout", "connect_timeout", "first_byte_timeout", "ttft_timeout", "stream_idle_timeout",
                "max_response_bytes", "max_connections_per_host", "proxy", "no_proxy",
            ].reduce(into: ConfigTable.policyKeys) { $0.insert($1) }
        )
        return defaults
    }

    /// `proxy = "direct"` → `.some(nil)`; a URL → `.some(url)`; absent → nil.
    private static func readProxy(_ table: ConfigTable) -> String?? {
        guard let proxy = table.string("proxy") else { return nil }
        if proxy == "direct" { return .some(nil) }
        let schemes = ["http://", "https://", "socks5://", "socks5h://"]
        guard schemes.contains(where: { proxy.hasPrefix($0) }) else {
            table.problem("proxy", "must be \"direct\" or a proxy URL (http://, https://, socks5://)")
            return nil
        }
        return .some(proxy)
    }

    private static func readRoute(name: String, _ table: ConfigTable, providers: [ProviderConfig]) -> RouteConfig? {
        defer { table.rejectUnknownKeys(allowed: ["targets"]) }
        guard let value = table.value("targets") else {
            table.problem("targets", "is required (a list of \"provider:model\")")
            return nil
        }
        guard case .array(let array) = value else {
            table.problem("targets", "must be a list of \"provider:model\" strings")
            return nil
        }
        var targets: [TargetRef] = []
        for index in 0..<array.count {
            guard let text = array[index].string, let target = TargetRef(text) else {
                table.problem("targets", "element \(index + 1) must be a \"provider:model\" string")
                continue
            }
            guard providers.contains(where: { $0.name == target.provider }) else {
                table.problem("targets", "\"\(text)\" names provider \"\(target.provider)\", which is not configured")
                continue
            }
            targets.append(target)
        }
        if targets.isEmpty, array.count == 0 { table.problem("targets", "must not be empty") }
        return RouteConfig(name: name, targets: targets)
    }

    private static func readProvider(name: String, _ table: ConfigTable) -> ProviderConfig? {
        defer {
            table.rejectUnknownKeys(
                allowed: [
                    "kind", "base_url", "api_key_env", "api_key_file", "api_key_credential", "api_key", "priority",
                    "enabled", "models", "connect_timeout", "first_byte_timeout", "ttft_timeout", "stream_idle_timeout",
                    "max_response_bytes", "proxy", "no_proxy", "headers", "weight",
                ].reduce(into: ConfigTable.policyKeys) { $0.insert($1) }
            )
        }
        let kind: ProviderKind
        if let kindName = table.string("kind") {
            guard let parsed = ProviderKind(rawValue: kindName) else {
                let known = ProviderKind.allCases.map(\.rawValue).joined(separator: ", ")
                table.problem("kind", "unknown provider kind \"\(kindName)\" (one of: \(known))")
                return nil
            }
            kind = parsed
        } else if let implied = ProviderKind(rawValue: name) {
            kind = implied
        } else {
            table.problem("kind", "is required (the table name \"\(name)\" is not a provider kind)")
            return nil
        }

        guard let baseURL = table.string("base_url") ?? kind.defaultBaseURL else {
            table.problem("base_url", "is required for kind \"\(kind.rawValue)\"")
            return nil
        }
        if !(baseURL.hasPrefix("https://") || baseURL.hasPrefix("http://")) {
            table.problem("base_url", "must start with http:// or https://")
        }

        var sources: [KeySource] = []
        if let variable = table.string("api_key_env") { sources.append(.environment(variable)) }
        if let path = table.string("api_key_file") {
            if path.hasPrefix("/") { sources.append(.file(path)) } else { table.problem("api_key_file", "must be an absolute path") }
        }
        if let credential = table.string("api_key_credential") {
            if credential.contains("/") || credential.isEmpty {
                table.problem("api_key_credential", "must be a credential name, not a path")
            } else {
                sources.append(.credential(credential))
            }
        }
        if let inline = table.string("api_key") { sources.append(.inline(Secret(value: inline))) }
        if sources.count > 1 {
            table.problem("api_key_env", "give only one of api_key_env, api_key_file, api_key_credential and api_key")
        }
        let key = sources.first ?? kind.conventionalKeyVariables.first.map { KeySource.environment($0) }

        var provider = ProviderConfig(name: name, kind: kind, baseURL: baseURL, key: key)
        provider.overrides = ProviderOverrides(
            connectTimeout: table.duration("connect_timeout"),
            firstByteTimeout: table.duration("first_byte_timeout"),
            ttftTimeout: table.duration("ttft_timeout"),
            streamIdleTimeout: table.duration("stream_idle_timeout"),
            maxResponseBytes: table.int("max_response_bytes", in: 1024...(1 << 31)),
            proxy: Self.readProxy(table),
            noProxy: table.string("no_proxy")
        )
        if let headers = table.table("headers") {
            for header in headers.keys.sorted() {
                guard let value = headers.string(header) else { continue }
                provider.headers.append(HeaderConfig(name: header, value: value))
            }
        }
        provider.policy = table.policyOverrides()
        provider.weight = table.int("weight", in: 1...1_000) ?? provider.weight
        provider.priority = table.int("priority", in: 0...1_000) ?? provider.priority
        provider.enabled = table.bool("enabled") ?? provider.enabled
        for model in table.tables("models") {
            guard let id = model.string("id"), !id.isEmpty else {
                model.problem("id", "is required")
                continue
            }
            provider.models.append(
                ModelConfig(
                    id: id,
                    contextWindow: model.int("context_window", in: 1...100_000_000),
                    inputUSDPerMillionTokens: model.number("input_usd_per_mtok", minimum: 0),
                    outputUSDPerMillionTokens: model.number("output_usd_per_mtok", minimum: 0)
                )
            )
            model.rejectUnknownKeys(allowed: ["id", "context_window", "input_usd_per_mtok", "output_usd_per_mtok"])
        }
        return provider
    }
}

extension Logger.Level {
    static let configNames = "trace, debug, info, notice, warning, error, critical"

    init?(configName: String) {
        switch configName.lowercased() {
        case "trace": self = .trace
        case "debug": self = .debug
        case "info": self = .info
        case "notice": self = .notice
        case "warning", "warn": self = .warning
        case "error": self = .error
        case "critical": self = .critical
        default: return nil
        }
    }
}
