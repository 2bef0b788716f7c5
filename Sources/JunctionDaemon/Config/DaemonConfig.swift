import JunctionCore
import JunctionProviders
import Logging

/// The daemon's whole configuration, as read from `junction.toml` (or the defaults when there is none).
/// A value type: a reload builds a new one and swaps it in whole, or keeps the old one if the new is invalid.
struct DaemonConfig: Sendable, Equatable {
    var server = ServerConfig()
    var defaults = RequestDefaults()
    var providers: [ProviderConfig] = []
    /// Named, ordered target lists; `default` serves requests that name neither a route nor a model.
    var routes: [RouteConfig] = []
    var resilience = ResilienceConfig()
    var log = LogConfig()
    /// `[accounting]` and `[budgets.NAME]`.
    var accounting = AccountingConfig()
    /// `[ledger]`: where requests and their cost are recorded.
    var ledger = LedgerConfig()
    /// `[cache]`: the response cache, coalescing and stale-if-error.
    var cache = CacheConfig()
    /// `[metrics]`: the Prometheus exposition and its label bounds.
    var metrics = MetricsConfig()
    /// `[http]`: the operators' HTTP listener.
    var http = HTTPConfig()
    /// `[shared]` (or `REDIS_URL`): the fleet's shared state; nil: this daemon's state is its own.
    var shared: SharedConfig?

    func provider(named name: String) -> ProviderConfig? {
        self.providers.first { $0.name == name }
    }
}

/// `[log]`: what the request log may hold.
struct LogConfig: Sendable, Equatable {
    /// Log each request's prompt text (canonical form) in its request-log entry; off: only its SHA-256.
    var prompts = false
}

/// `[resilience]`: daemon-wide bounds of the resilience state.
struct ResilienceConfig: Sendable, Equatable {
    /// The states of targets outside the configuration (`provider:model` names callers chose).
    var retention = TargetRetentionPolicy()
}

/// `[defaults]`: how requests reach providers unless a provider says otherwise.
struct RequestDefaults: Sendable, Equatable {
    /// Overall deadline of one request, all attempts included.
    var timeout: Duration = .seconds(120)
    var connectTimeout: Duration = .seconds(5)
    /// Until response headers.
    var firstByteTimeout: Duration = .seconds(15)
    /// Streams: until the first token.
    var ttftTimeout: Duration = .seconds(15)
    /// Streams: longest silence between events.
    var streamIdleTimeout: Duration = .seconds(30)
    var maxResponseBytes = 32 << 20
    /// nil: direct connections.
    var proxy: String?
    var noProxy: String?
    var maxConnectionsPerHost = 512
    /// Idle upstream connections kept for reuse, over all providers; the rest close when their transfer ends.
    var maxIdleConnections = 64
    /// An idle upstream connection older than this is closed instead of reused.
    var idleConnectionTimeout: Duration = .seconds(60)
    /// The oldest TLS version accepted from any provider.
    var tlsMinVersion: TLSVersion = .v1_2
    /// `[defaults.retry]`, `[defaults.breaker]`, `[defaults.limits]`, `[defaults.health]`, ...
    var policy = PolicyOverrides()
}

/// Per-provider overrides of `RequestDefaults` (nil: use the default).
struct ProviderOverrides: Sendable, Equatable {
    var connectTimeout: Duration?
    var firstByteTimeout: Duration?
    var ttftTimeout: Duration?
    var streamIdleTimeout: Duration?
    var maxResponseBytes: Int?
    /// `.some(nil)`: `proxy = "direct"` overrides a global proxy.
    var proxy: String??
    var noProxy: String?
    var tlsMinVersion: TLSVersion?
}

/// `[routes.NAME]`
struct RouteConfig: Sendable, Equatable {
    var name: String
    var targets: [TargetRef]
}

/// `[server]`: the socket and the protocol's limits.
struct ServerConfig: Sendable, Equatable {
    /// nil: the default path for how the daemon runs (see `SocketLocation`).
    var socket: String?
    var socketMode: UInt32 = 0o660
    /// nil: the socket keeps the daemon's group.
    var socketGroup: String?
    /// nil: only root and the daemon's own user may call `admin.*`.
    var adminGroup: String?
    var maxConnections = 1024
    /// Connections one user (uid) may hold, so that one user cannot take every slot.
    var maxConnectionsPerUID = 256
    var maxLineBytes = 8 * 1024 * 1024
    var maxInflightPerConnection = 256
    var maxJSONDepth = 64
    var maxJSONKeys = 10_000
    var maxBatchSize = 1_000
    var maxWriteBufferBytes = 16 * 1024 * 1024
    /// How long answers may wait with the client reading none of them before it is disconnected.
    var writeStallTimeout: Duration = .seconds(10)
    var drainTimeout: Duration = .seconds(10)
    var logLevel: Logger.Level = .info
}

/// `[providers.NAME]`: one upstream and how to authenticate to it.
struct ProviderConfig: Sendable, Equatable {
    var name: String
    var kind: ProviderKind
    var baseURL: String
    var key: KeySource?
    var priority = 1
    /// Share of traffic among providers of equal priority.
    var weight = 1
    var enabled = true
    var models: [ModelConfig] = []
    var overrides = ProviderOverrides()
    /// Extra request headers (names and values as written).
    var headers: [HeaderConfig] = []
    /// `[providers.NAME.retry]`, `.breaker`, `.limits`, `.health`, ...
    var policy = PolicyOverrides()

    /// The model used when a route names only the provider: the first configured, else the kind's default.
    var defaultModel: String? { self.models.first?.id ?? self.kind.defaultModel }
}

/// `[providers.NAME.headers]`: extra request headers.
struct HeaderConfig: Sendable, Equatable {
    var name: String
    var value: String
}

/// `[[providers.NAME.models]]`
struct ModelConfig: Sendable, Equatable {
    var id: String
    /// `context_window`: overrides the built-in window (`ModelLimits`).
    var contextWindow: Int?
    /// `max_output_tokens`: overrides the built-in max output.
    var maxOutputTokens: Int? = nil
    /// Configured prices, converted from the file's USD per million tokens to micro-USD per million tokens.
    /// Each one set overrides that field of the built-in price (`ProviderRegistry.Provider.price(of:)`).
    var price = ConfiguredPrice()
}

/// The `*_usd_per_mtok` keys of one `[[providers.NAME.models]]`, in micro-USD per million tokens.
struct ConfiguredPrice: Sendable, Equatable {
    var input: MicroUSD?
    var output: MicroUSD?
    var cachedInput: MicroUSD?
    var cacheWrite: MicroUSD?
    var cacheWrite1h: MicroUSD?
    var reasoning: MicroUSD?

    var isEmpty: Bool { self == ConfiguredPrice() }
}

/// Where a provider's API key comes from. The key itself is read when needed and never stored in the config
/// value, so that printing or comparing configurations cannot leak it.
enum KeySource: Sendable, Equatable, CustomStringConvertible {
    case environment(String)
    case file(String)
    /// A systemd credential (`LoadCredential=`), read from `$CREDENTIALS_DIRECTORY/NAME`.
    case credential(String)
    /// Written in the config file itself (discouraged; warned about when the file is readable by others).
    case inline(Secret)

    var description: String {
        switch self {
        case .environment(let name): "env:\(name)"
        case .file(let path): "file:\(path)"
        case .credential(let name): "credential:\(name)"
        case .inline: "inline (in the config file)"
        }
    }
}

/// A secret value that never prints itself: `description`, string interpolation and `dump` show a placeholder.
struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    let value: String

    var description: String { "<redacted>" }
    var debugDescription: String { "<redacted>" }
}
