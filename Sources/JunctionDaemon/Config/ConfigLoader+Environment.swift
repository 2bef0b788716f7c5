import JunctionCore

extension ConfigLoader {
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
}
