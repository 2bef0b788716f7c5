import JunctionCore

extension ConfigLoader {
    /// `[providers.NAME]` with its `[[providers.NAME.models]]`.
    /// `environment` supplies what the file leaves out and the kind's customary variables hold: the key (the first
    /// of `ProviderKind.conventionalKeyVariables` that is set) and, for kinds without a default, the base URL.
    static func readProvider(name: String, _ table: ConfigTable, environment: [String: String]) -> ProviderConfig? {
        defer {
            table.rejectUnknownKeys(
                allowed: [
                    "kind", "base_url", "api_key_env", "api_key_file", "api_key_credential", "api_key", "priority",
                    "enabled", "models", "connect_timeout", "first_byte_timeout", "ttft_timeout", "stream_idle_timeout",
                    "max_response_bytes", "proxy", "no_proxy", "tls_min_version", "headers", "weight",
                ].reduce(into: ConfigTable.policyKeys) { $0.insert($1) }
            )
        }
        // A bad kind or a missing base URL makes the provider unusable, but reading goes on so that every other
        // mistake in its table (models, sub-tables, unknown keys) is reported in the same pass.
        var kind: ProviderKind?
        if let kindName = table.string("kind") {
            kind = ProviderKind(rawValue: kindName)
            if kind == nil {
                let known = ProviderKind.allCases.map(\.rawValue).joined(separator: ", ")
                table.problem("kind", "unknown provider kind \"\(kindName)\" (one of: \(known))")
            }
        } else if let implied = ProviderKind(rawValue: name) {
            kind = implied
        } else if table.value("kind") == nil {
            table.problem("kind", "is required (the table name \"\(name)\" is not a provider kind)")
        }

        let baseURL =
            table.string("base_url") ?? kind?.defaultBaseURL ?? kind.flatMap { Self.baseURL(of: $0, environment) }
        if let baseURL, !(baseURL.hasPrefix("https://") || baseURL.hasPrefix("http://")) {
            table.problem("base_url", "must start with http:// or https://")
        } else if baseURL == nil, let kind, table.value("base_url") == nil {
            let variable = kind.conventionalBaseURLVariable.map { " (or set \($0))" } ?? ""
            table.problem("base_url", "is required for kind \"\(kind.rawValue)\"\(variable)")
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
        let conventional = kind.flatMap { Self.keyVariable(of: $0, environment) }.map { KeySource.environment($0) }
        let key = sources.first ?? conventional

        var provider = ProviderConfig(name: name, kind: kind ?? .openaiCompatible, baseURL: baseURL ?? "", key: key)
        provider.overrides = ProviderOverrides(
            connectTimeout: table.duration("connect_timeout"),
            firstByteTimeout: table.duration("first_byte_timeout"),
            ttftTimeout: table.duration("ttft_timeout"),
            streamIdleTimeout: table.duration("stream_idle_timeout"),
            maxResponseBytes: table.int("max_response_bytes", in: 1024...(1 << 31)),
            proxy: Self.readProxy(table),
            noProxy: table.string("no_proxy"),
            tlsMinVersion: table.tlsVersion("tls_min_version")
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
            model.rejectUnknownKeys(allowed: Set(["id", "context_window", "max_output_tokens"] + Self.priceKeys))
            let contextWindow = model.int("context_window", in: 1...100_000_000)
            let maxOutputTokens = model.int("max_output_tokens", in: 1...10_000_000)
            let price = Self.readPrice(model)
            guard let id = model.string("id"), !id.isEmpty else {
                model.problem("id", "is required")
                continue
            }
            Self.checkOutputFitsWindow(
                model, id: id, kind: kind, contextWindow: contextWindow, maxOutputTokens: maxOutputTokens
            )
            if let kind, !price.isEmpty, price.input == nil || price.output == nil,
                PriceTable.builtIn.price(of: id, kind: kind) == nil
            {
                let missing = price.input == nil ? "input_usd_per_mtok" : "output_usd_per_mtok"
                model.problem(
                    missing,
                    "is required: \(kind.rawValue) model \"\(id)\" has no built-in price, so give both "
                        + "input_usd_per_mtok and output_usd_per_mtok (or no price keys: its cost is then unknown)"
                )
            }
            provider.models.append(
                ModelConfig(id: id, contextWindow: contextWindow, maxOutputTokens: maxOutputTokens, price: price)
            )
        }
        guard kind != nil, baseURL != nil else { return nil }
        return provider
    }
}

extension ConfigLoader {
    /// `max_output_tokens` must leave room for a prompt in the window: the configured `context_window`, else the
    /// model's built-in one.
    static func checkOutputFitsWindow(
        _ model: ConfigTable,
        id: String,
        kind: ProviderKind?,
        contextWindow: Int?,
        maxOutputTokens: Int?
    ) {
        guard let maxOutputTokens else { return }
        let builtIn = kind.flatMap { ModelLimits.builtIn(for: id, kind: $0)?.contextWindow }
        guard let window = contextWindow ?? builtIn, maxOutputTokens >= window else { return }
        let which = contextWindow != nil ? "context_window" : "the built-in context window of \"\(id)\""
        model.problem(
            "max_output_tokens",
            "must be smaller than \(which) (\(window)), got \(maxOutputTokens): the window holds the prompt "
                + "and the answer"
        )
    }
}

extension ConfigLoader {
    /// The price keys of `[[providers.NAME.models]]`, USD per million tokens.
    static let priceKeys = [
        "input_usd_per_mtok", "output_usd_per_mtok", "cached_input_usd_per_mtok", "cache_write_usd_per_mtok",
        "cache_write_1h_usd_per_mtok", "reasoning_usd_per_mtok",
    ]

    /// Reads the price keys, rounding each to the nearest micro-USD per million tokens. A negative or
    /// absurd figure is a problem naming the key.
    static func readPrice(_ model: ConfigTable) -> ConfiguredPrice {
        func rate(_ key: String) -> MicroUSD? {
            let negative: Bool
            switch model.value(key) {
            case .int(let number)?: negative = number < 0
            case .double(let number)?: negative = number < 0
            default: negative = false
            }
            if negative {
                model.problem(key, "must not be negative: write the price in USD per million tokens, e.g. 2.5")
                return nil
            }
            guard let usd = model.number(key, minimum: 0) else { return nil }
            // Far above any real price; keeps token × rate arithmetic far from Int overflow.
            guard usd <= 1_000_000 else {
                model.problem(key, "must be at most 1000000 (USD per million tokens), got \(usd)")
                return nil
            }
            return MicroUSDText.micro(usd: usd)
        }
        return ConfiguredPrice(
            input: rate("input_usd_per_mtok"),
            output: rate("output_usd_per_mtok"),
            cachedInput: rate("cached_input_usd_per_mtok"),
            cacheWrite: rate("cache_write_usd_per_mtok"),
            cacheWrite1h: rate("cache_write_1h_usd_per_mtok"),
            reasoning: rate("reasoning_usd_per_mtok")
        )
    }
}
