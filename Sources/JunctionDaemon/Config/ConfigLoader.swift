#if canImport(Glibc)
import Glibc
#endif
import JunctionCore

/// A configuration that loaded, with what the operator should hear about it.
struct LoadedConfig: Sendable {
    var config: DaemonConfig
    /// The file it came from; nil when the daemon runs on defaults.
    var path: String?
    /// Non-fatal findings: an inline key in a readable file, an admin group that does not exist, ...
    var warnings: [String]
    /// The environment variables the configuration took keys and base URLs from (names only, never values).
    var environmentUse: [EnvironmentUse] = []

    /// For the log: `environment variables used: openai: OPENAI_API_KEY; cursor: CURSOR_API_KEY, CURSOR_BASE_URL`.
    var environmentSummary: String? {
        guard !self.environmentUse.isEmpty else { return nil }
        let parts = self.environmentUse.map { "\($0.provider): \($0.variables.joined(separator: ", "))" }
        return "environment variables used: " + parts.joined(separator: "; ")
    }
}

/// The environment variables one provider's settings came from.
struct EnvironmentUse: Sendable, Equatable {
    var provider: String
    var variables: [String]
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
                return Self.fromEnvironment(environment, localOllama: localOllama())
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

    static func parse(
        text: String,
        file: String,
        readableByOthers: Bool = false,
        environment: [String: String] = [:]
    ) throws(ConfigErrors) -> LoadedConfig {
        if let problem = Self.controlCharacterProblem(in: text, file: file) { throw ConfigErrors(problems: [problem]) }
        let table: TOMLNode
        do {
            table = try TOMLDocument.parse(text)
        } catch {
            throw ConfigErrors(problems: [
                ConfigProblem(
                    file: file,
                    line: error.line > 0 ? error.line : nil,
                    keyPath: "",
                    message: "TOML syntax: \(error.description)"
                )
            ])
        }
        let report = ConfigReport(file: file, locator: TOMLSourceLocator(text: text))
        let root = ConfigTable(table: table, path: "", report: report)
        var config = DaemonConfig()
        if let server = root.table("server") { config.server = Self.readServer(server) }
        if let defaults = root.table("defaults") { config.defaults = Self.readDefaults(defaults) }
        if let resilience = root.table("resilience") { config.resilience = Self.readResilience(resilience) }
        if let log = root.table("log") { config.log = Self.readLog(log) }
        if let ledger = root.table("ledger") { config.ledger = Self.readLedger(ledger) }
        if let cache = root.table("cache") { config.cache = Self.readCache(cache) }
        if let metrics = root.table("metrics") { config.metrics = Self.readMetrics(metrics) }
        if let http = root.table("http") { config.http = Self.readHTTP(http) }
        if let shared = root.table("shared") {
            config.shared = Self.readShared(shared)
        } else if let fromEnvironment = Self.sharedFromEnvironment(environment) {
            switch fromEnvironment {
            case .success(let shared): config.shared = shared
            case .failure(let error): report.add(keyPath: "REDIS_URL (environment)", error.description)
            }
        }
        let providersTable = root.table("providers")
        if let providers = providersTable {
            // The TOML library returns keys sorted; keep the order of the file, which is the order people mean.
            let names = providers.keys.sorted {
                (report.locator.line(of: "providers.\($0)") ?? .max, $0) < (report.locator.line(of: "providers.\($1)") ?? .max, $1)
            }
            for name in names {
                guard let provider = providers.table(name) else { continue }
                if let parsed = Self.readProvider(name: name, provider, environment: environment) {
                    config.providers.append(parsed)
                }
            }
        }
        // Routes are checked against every provider table, usable or not: a provider with a bad kind is reported
        // once, not again by each route that names it.
        let declared = Set(providersTable?.keys ?? [])
        if let routes = root.table("routes") {
            let names = routes.keys.sorted {
                (report.locator.line(of: "routes.\($0)") ?? .max, $0) < (report.locator.line(of: "routes.\($1)") ?? .max, $1)
            }
            for name in names {
                guard let route = routes.table(name) else { continue }
                if let parsed = Self.readRoute(name: name, route, providers: declared) { config.routes.append(parsed) }
            }
        }
        if let accounting = root.table("accounting") { config.accounting = Self.readAccounting(accounting) }
        if let budgets = root.table("budgets") {
            let line = { (name: String) in report.locator.line(of: "budgets.\(name)") ?? .max }
            for name in budgets.keys.sorted(by: { (line($0), $0) < (line($1), $1) }) {
                guard let budget = budgets.table(name) else { continue }
                if let parsed = Self.readBudget(name: name, budget) { config.accounting.budgets.append(parsed) }
            }
        }
        root.rejectUnknownKeys(
            allowed: [
                "server", "defaults", "resilience", "providers", "routes", "accounting", "budgets", "log", "ledger",
                "cache", "metrics", "http", "shared",
            ]
        )
        if !report.problems.isEmpty { throw ConfigErrors(problems: report.problemsInFileOrder) }

        var warnings: [String] = []
        for provider in config.providers where provider.key?.isInline == true && readableByOthers {
            warnings.append(
                "\(file): providers.\(provider.name).api_key: the file is readable by other users and holds an API key; "
                    + "use api_key_env, api_key_file or api_key_credential, or chmod o-r the file"
            )
        }
        return LoadedConfig(
            config: config,
            path: file,
            warnings: warnings,
            environmentUse: Self.environmentUse(config.providers, environment: environment)
        )
    }
}
