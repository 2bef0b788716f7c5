/// What routing needs to know of the configuration: the providers with their models, priorities, weights and
/// key state, and the named routes. Built once per configuration load; a value, so plans are pure functions of it.
public struct RoutingTable: Sendable, Equatable {
    public struct Provider: Sendable, Equatable {
        public var name: String
        /// `enabled = false` in the configuration.
        public var enabled: Bool
        public var priority: Int
        public var weight: Int
        /// The configured model ids, in order.
        public var models: [String]
        /// Context windows of the configured models that declare one.
        public var contextWindows: [String: Int]
        public var defaultModel: String?
        /// Why the API key could not be read, when it could not.
        public var keyProblem: String?
        /// The longest a request waits for room in this provider's rate windows.
        public var maxQueueWait: Duration

        public init(
            name: String,
            enabled: Bool = true,
            priority: Int = 1,
            weight: Int = 1,
            models: [String] = [],
            contextWindows: [String: Int] = [:],
            defaultModel: String? = nil,
            keyProblem: String? = nil,
            maxQueueWait: Duration = .seconds(5)
        ) {
            self.name = name
            self.enabled = enabled
            self.priority = priority
            self.weight = weight
            self.models = models
            self.contextWindows = contextWindows
            self.defaultModel = defaultModel ?? models.first
            self.keyProblem = keyProblem
            self.maxQueueWait = maxQueueWait
        }
    }

    public struct Route: Sendable, Equatable {
        public var name: String
        public var targets: [TargetRef]

        public init(name: String, targets: [TargetRef]) {
            self.name = name
            self.targets = targets
        }
    }

    /// In configuration order (ties of priority keep it).
    public var providers: [Provider]
    public var routes: [Route]

    public init(providers: [Provider] = [], routes: [Route] = []) {
        self.providers = providers
        self.routes = routes
    }

    public func provider(named name: String) -> Provider? {
        self.providers.first { $0.name == name }
    }
}

/// What a request names: a route, a model, or neither (the default route).
public enum RouteSelection: Sendable, Equatable {
    case route(String)
    /// `"provider:model"`, a model id listed in the configuration, or the name of a route.
    case model(String)
    case automatic

    public init(route: String?, model: String?) {
        if let route {
            self = .route(route)
        } else if let model {
            self = .model(model)
        } else {
            self = .automatic
        }
    }
}

/// A request that names nothing routable.
public struct RoutingError: Error, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The named field (`route`, `model`) is wrong: the caller must change the request.
        case invalidField(String)
        /// Nothing is configured for the request to go to.
        case nothingConfigured
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}
