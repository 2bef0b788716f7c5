import Logging

/// The API tokens read from `[http.tokens]` when the listener starts: each token's bytes and the client name
/// its holder's requests carry. Matching compares against every token in constant time, so neither which token
/// matched nor how much of a guess was right shows in the time an answer takes.
struct APITokens: Sendable {
    struct Token: Sendable {
        var name: String
        var bytes: [UInt8]
    }

    private(set) var tokens: [Token]
    /// Whether any token is configured (read or not): a TCP request then needs one rather than a config change.
    let configured: Bool

    init(_ tokens: [Token], configured: Bool? = nil) {
        self.tokens = tokens
        self.configured = configured ?? !tokens.isEmpty
    }

    /// Reads every configured token. One that cannot be read is logged by name and reason (never its value) and
    /// left out: its holder gets 401 until the file is fixed and the daemon restarted.
    static func load(_ config: [HTTPTokenConfig], environment: [String: String], logger: Logger) -> APITokens {
        var tokens: [Token] = []
        for token in config {
            switch token.source.read(environment: environment) {
            case .success(let value):
                if value.utf8.count < 16 {
                    logger.warning(
                        "http token is short: use at least 16 random characters (openssl rand -hex 32)",
                        metadata: ["token": "\(token.name)"]
                    )
                }
                tokens.append(Token(name: token.name, bytes: Array(value.utf8)))
            case .failure(let problem):
                logger.error(
                    "http token unavailable: requests presenting it are refused (401) until it can be read",
                    metadata: ["token": "\(token.name)", "source": "\(token.source)", "reason": "\(problem.reason)"]
                )
            }
        }
        return APITokens(tokens, configured: !config.isEmpty)
    }

    /// The name of the token equal to `presented`, or nil. Every token is compared over its whole length.
    func name(of presented: some Collection<UInt8>) -> String? {
        var found: String?
        for token in self.tokens where Self.constantTimeEqual(token.bytes, presented) {
            found = token.name
        }
        return found
    }

    /// Whether `a` and `b` hold the same bytes, in time that depends only on their lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: some Collection<UInt8>) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        var index = 0
        for byte in b {
            // Past `a`'s end, compare against itself so the loop's work does not depend on where they differ.
            difference |= byte ^ (index < a.count ? a[index] : byte)
            index += 1
        }
        if a.count != b.count { difference |= 1 }
        return difference == 0
    }
}
