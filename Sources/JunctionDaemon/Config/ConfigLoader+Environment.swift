import JunctionCore

extension ConfigLoader {
    /// The configuration used when there is no file: default server settings and one provider for each kind whose
    /// customary key variable is set (and, for kinds without a default base URL, whose base URL variable is set).
    static func defaults(environment: [String: String], localOllama: Bool = false) -> DaemonConfig {
        Self.fromEnvironment(environment, localOllama: localOllama).config
    }

    static func fromEnvironment(_ environment: [String: String], localOllama: Bool) -> LoadedConfig {
        var config = DaemonConfig()
        var warnings: [String] = []
        for kind in ProviderKind.allCases {
            guard let variable = kind.conventionalKeyVariables.first(where: { Self.isSet($0, environment) }) else {
                continue
            }
            guard let baseURL = kind.defaultBaseURL ?? Self.baseURL(of: kind, environment) else {
                if let urlVariable = kind.conventionalBaseURLVariable {
                    warnings.append(
                        "\(variable) is set but \(urlVariable) is not: set it to the provider's OpenAI-compatible "
                            + "base URL to configure \"\(kind.rawValue)\""
                    )
                }
                continue
            }
            config.providers.append(
                ProviderConfig(name: kind.rawValue, kind: kind, baseURL: baseURL, key: .environment(variable))
            )
        }
        if localOllama, let baseURL = ProviderKind.ollama.defaultBaseURL {
            config.providers.append(ProviderConfig(name: "ollama", kind: .ollama, baseURL: baseURL, key: nil))
        }
        return LoadedConfig(
            config: config,
            path: nil,
            warnings: warnings,
            environmentUse: Self.environmentUse(config.providers, environment: environment)
        )
    }

    /// The variable a provider of `kind` takes its key from when the file names none: the first customary one
    /// that is set, else the first (so that "not set" names the variable people expect).
    static func keyVariable(of kind: ProviderKind, _ environment: [String: String]) -> String? {
        kind.conventionalKeyVariables.first { Self.isSet($0, environment) } ?? kind.conventionalKeyVariables.first
    }

    /// The base URL from the kind's customary variable, when it has one and it is set.
    static func baseURL(of kind: ProviderKind, _ environment: [String: String]) -> String? {
        guard let variable = kind.conventionalBaseURLVariable, Self.isSet(variable, environment) else { return nil }
        return environment[variable]
    }

    /// Which set variables each provider's key and base URL come from, in provider order.
    static func environmentUse(_ providers: [ProviderConfig], environment: [String: String]) -> [EnvironmentUse] {
        providers.compactMap { provider in
            var variables: [String] = []
            if case .environment(let variable)? = provider.key, Self.isSet(variable, environment) {
                variables.append(variable)
            }
            if let variable = provider.kind.conventionalBaseURLVariable, environment[variable] == provider.baseURL {
                variables.append(variable)
            }
            return variables.isEmpty ? nil : EnvironmentUse(provider: provider.name, variables: variables)
        }
    }

    private static func isSet(_ variable: String, _ environment: [String: String]) -> Bool {
        environment[variable]?.isEmpty == false
    }
}
