extension ConfigLoader {
    /// `[http.tokens]`: one table per token, `[http.tokens.NAME]` with exactly one of `token_file`, `token_env`
    /// and `token_credential`. A token written in the config file itself is refused: the file is often readable
    /// by more people than the token should be.
    static func readHTTPTokens(_ tokens: ConfigTable) -> [HTTPTokenConfig] {
        var result: [HTTPTokenConfig] = []
        for name in tokens.keys.sorted() {
            guard let table = tokens.table(name) else {
                tokens.problem(name, "must be a table such as [http.tokens.\(name)] with token_file = \"/path\"")
                continue
            }
            table.rejectUnknownKeys(allowed: ["token_file", "token_env", "token_credential"])
            guard Self.isClientLabel(name) else {
                tokens.problem(
                    name, "is not a usable client name: letters, digits, '.', '_' and '-', at most 64 characters"
                )
                continue
            }
            var sources: [KeySource] = []
            if let path = table.string("token_file") {
                if path.hasPrefix("/") {
                    sources.append(.file(path))
                } else {
                    table.problem("token_file", "must be an absolute path such as \"/etc/junction/tokens/\(name)\"")
                }
            }
            if let variable = table.string("token_env") {
                if variable.isEmpty { table.problem("token_env", "must name an environment variable") } else {
                    sources.append(.environment(variable))
                }
            }
            if let credential = table.string("token_credential") {
                if credential.isEmpty || credential.contains("/") {
                    table.problem("token_credential", "must be a systemd credential name, not a path")
                } else {
                    sources.append(.credential(credential))
                }
            }
            switch sources.count {
            case 1:
                result.append(HTTPTokenConfig(name: name, source: sources[0]))
            case 0:
                // A source that was given but refused has its own problem already.
                if !["token_file", "token_env", "token_credential"].contains(where: { table.value($0) != nil }) {
                    table.problem(
                        "token_file", "is missing: give one of token_file, token_env and token_credential"
                    )
                }
            default:
                table.problem("token_file", "give only one of token_file, token_env and token_credential")
            }
        }
        return result
    }

    /// Client labels as a token names them: what the ledger and budgets can key on.
    private static func isClientLabel(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 64 else { return false }
        return name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
    }
}
