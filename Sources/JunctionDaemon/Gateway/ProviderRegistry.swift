import JunctionCore
import JunctionProviders

/// The configured providers, ready to use: adapter, endpoint with its key, and effective transport settings.
/// Built from a configuration at start and on every reload (keys are read then, not per request).
struct ProviderRegistry: Sendable {
    struct Provider: Sendable {
        var config: ProviderConfig
        var adapter: any ProviderAdapter
        var endpoint: ProviderEndpoint
        /// Why the key could not be read, when it could not (requests to this provider then fail at once).
        var keyProblem: String?
        var timeouts: TransportTimeouts
        var ttftTimeout: Duration
        var proxy: String?
        var noProxy: String?
        var maxResponseBytes: Int
        var tlsMinVersion: TLSVersion
        var policy: ProviderPolicy

        var name: String { self.config.name }

        /// Fills in what the adapter leaves to the caller: clocks, proxy, limits.
        func prepare(_ request: HTTPRequest, deadline: Duration) -> HTTPRequest {
            var request = request
            request.timeouts = self.timeouts
            request.timeouts.overall = min(self.timeouts.overall, deadline)
            request.proxy = self.proxy
            request.noProxy = self.noProxy
            request.maxResponseBytes = self.maxResponseBytes
            request.tlsMinVersion = self.tlsMinVersion
            return request
        }

        func contextWindow(of model: String) -> Int? {
            self.config.models.first { $0.id == model }?.contextWindow
        }
    }

    private(set) var providers: [Provider] = []

    init() {}

    init(config: DaemonConfig, environment: [String: String]) {
        for provider in config.providers {
            var keyProblem: String?
            var key: String?
            if let source = provider.key {
                switch source.read(environment: environment) {
                case .success(let value): key = value
                case .failure(let problem): keyProblem = problem.reason
                }
            }
            let defaults = config.defaults
            let overrides = provider.overrides
            let timeouts = TransportTimeouts(
                connect: overrides.connectTimeout ?? defaults.connectTimeout,
                firstByte: overrides.firstByteTimeout ?? defaults.firstByteTimeout,
                idle: overrides.streamIdleTimeout ?? defaults.streamIdleTimeout,
                overall: defaults.timeout
            )
            self.providers.append(
                Provider(
                    config: provider,
                    adapter: Adapters.adapter(for: provider.kind),
                    endpoint: ProviderEndpoint(
                        name: provider.name,
                        kind: provider.kind,
                        baseURL: provider.baseURL,
                        apiKey: key,
                        extraHeaders: provider.headers.map { ($0.name, $0.value) }
                    ),
                    keyProblem: keyProblem,
                    timeouts: timeouts,
                    ttftTimeout: overrides.ttftTimeout ?? defaults.ttftTimeout,
                    proxy: overrides.proxy ?? defaults.proxy,
                    noProxy: overrides.noProxy ?? defaults.noProxy,
                    maxResponseBytes: overrides.maxResponseBytes ?? defaults.maxResponseBytes,
                    tlsMinVersion: overrides.tlsMinVersion ?? defaults.tlsMinVersion,
                    policy: defaults.policy.overridden(by: provider.policy).policy(for: provider.kind)
                )
            )
        }
    }

    func provider(named name: String) -> Provider? {
        self.providers.first { $0.name == name }
    }
}
