import JunctionCore
import JunctionProviders

/// The configured providers, ready to use: adapter, endpoint with its key, and effective transport settings.
/// Built from a configuration at start and on every reload (keys are read then, not per request).
struct ProviderRegistry: Sendable {
    /// A class: requests pass providers along their async path, and a reference keeps them out of every frame.
    final class Provider: Sendable {
        let config: ProviderConfig
        let adapter: any ProviderAdapter
        let endpoint: ProviderEndpoint
        /// Why the key could not be read, when it could not (requests to this provider then fail at once).
        let keyProblem: String?
        let timeouts: TransportTimeouts
        let ttftTimeout: Duration
        let proxy: String?
        let noProxy: String?
        let maxResponseBytes: Int
        let tlsMinVersion: TLSVersion
        let policy: ProviderPolicy

        init(
            config: ProviderConfig,
            adapter: any ProviderAdapter,
            endpoint: ProviderEndpoint,
            keyProblem: String?,
            timeouts: TransportTimeouts,
            ttftTimeout: Duration,
            proxy: String?,
            noProxy: String?,
            maxResponseBytes: Int,
            tlsMinVersion: TLSVersion,
            policy: ProviderPolicy
        ) {
            self.config = config
            self.adapter = adapter
            self.endpoint = endpoint
            self.keyProblem = keyProblem
            self.timeouts = timeouts
            self.ttftTimeout = ttftTimeout
            self.proxy = proxy
            self.noProxy = noProxy
            self.maxResponseBytes = maxResponseBytes
            self.tlsMinVersion = tlsMinVersion
            self.policy = policy
        }

        var name: String { self.config.name }

        /// Fills in what the adapter leaves to the caller: clocks, proxy, limits. `deadline` (what is left of the
        /// request's deadline) is the transfer's only overall clock.
        func prepare(_ request: HTTPRequest, deadline: Duration) -> HTTPRequest {
            var request = request
            request.timeouts = self.timeouts
            request.timeouts.overall = deadline
            request.proxy = self.proxy
            request.noProxy = self.noProxy
            request.maxResponseBytes = self.maxResponseBytes
            request.tlsMinVersion = self.tlsMinVersion
            return request
        }

        /// The context window of `model`: the configured `context_window`, else the built-in one (`ModelLimits`).
        func contextWindow(of model: String) -> Int? {
            self.configured(model)?.contextWindow ?? self.builtInLimits(of: model)?.contextWindow
        }

        /// The most output tokens `model` gives: the configured `max_output_tokens`, else the built-in figure.
        func maxOutputTokens(of model: String) -> Int? {
            self.configured(model)?.maxOutputTokens ?? self.builtInLimits(of: model)?.maxOutputTokens
        }

        /// Both limits of `model`, each configured figure over the built-in one; nil unless both are known.
        func limits(of model: String) -> ModelLimits? {
            guard let window = self.contextWindow(of: model), let output = self.maxOutputTokens(of: model) else {
                return nil
            }
            return ModelLimits(contextWindow: window, maxOutputTokens: output)
        }

        /// Junction's own figures for `model` as this provider's kind serves it.
        func builtInLimits(of model: String) -> ModelLimits? {
            ModelLimits.builtIn(for: model, kind: self.config.kind)
        }

        private func configured(_ model: String) -> ModelConfig? {
            self.config.models.first { $0.id == model }
        }
    }

    private(set) var providers: [Provider] = []
    /// Removes every configured secret (keys, header values) from upstream text; applied where that text enters.
    private(set) var redactor = SecretRedactor(secrets: [String]())

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
        let headerValues = self.providers.flatMap { $0.config.headers.map(\.value) }
        let urlSecrets = self.providers.flatMap { provider in
            URLCredentials.secrets(in: provider.endpoint.baseURL)
                + (provider.proxy.map { URLCredentials.secrets(in: $0) } ?? [])
        }
        self.redactor = SecretRedactor(
            secrets: self.providers.compactMap(\.endpoint.apiKey) + headerValues + urlSecrets
        )
    }

    func provider(named name: String) -> Provider? {
        self.providers.first { $0.name == name }
    }

    /// The policy of every provider, by name (the resilience shell takes them at start and on reload).
    var policies: [String: ProviderPolicy] {
        Dictionary(self.providers.map { ($0.name, $0.policy) }, uniquingKeysWith: { first, _ in first })
    }

    /// What routing needs of the configuration and these providers.
    func routingTable(routes: [RouteConfig]) -> RoutingTable {
        RoutingTable(
            providers: self.providers.map { provider in
                RoutingTable.Provider(
                    name: provider.name,
                    enabled: provider.config.enabled,
                    priority: provider.config.priority,
                    weight: provider.config.weight,
                    models: provider.config.models.map(\.id),
                    contextWindows: Self.contextWindows(of: provider, routes: routes),
                    defaultModel: provider.config.defaultModel,
                    keyProblem: provider.keyProblem,
                    maxQueueWait: provider.policy.maxQueueWait
                )
            },
            routes: routes.map { RoutingTable.Route(name: $0.name, targets: $0.targets) }
        )
    }

    /// The known windows (configured or built-in) of the models routing may send to `provider`: its configured
    /// models, its default model and those its routes name. (A model named only in a request is looked up when
    /// its attempt is planned.)
    private static func contextWindows(of provider: Provider, routes: [RouteConfig]) -> [String: Int] {
        let routed = routes.flatMap(\.targets).filter { $0.provider == provider.name }.map(\.model)
        let models = provider.config.models.map(\.id) + [provider.config.defaultModel].compactMap { $0 } + routed
        var windows: [String: Int] = [:]
        for model in models where windows[model] == nil {
            windows[model] = provider.contextWindow(of: model)
        }
        return windows
    }
}
