/// Removes secrets from text that came from upstream, before it reaches logs, RPC errors, events or health: some
/// servers and proxies echo the request's `Authorization`, `x-api-key` or `x-goog-api-key` in their error bodies.
/// Removed are every configured secret, any run of `minimumFragment` or more of its characters (a truncated or
/// re-encoded echo), and any credential in header-echo form (`Bearer …`, `x-api-key: …`, `key=…`) whatever its
/// value. Pure; built once per configuration.
public struct SecretRedactor: Sendable, Equatable {
    /// What stands in for a removed secret.
    public static let marker = "[redacted]"
    /// Shorter configured values are not treated as secrets (they would match ordinary words).
    public static let minimumSecretLength = 8
    /// A run of this many characters of a secret counts as the secret.
    public static let minimumFragment = 10
    /// Names after which a value is a credential, in header-echo or query form (compared case-insensitively).
    static let credentialNames: [[UInt8]] = [
        "authorization:", "authorization=", "bearer ", "x-api-key:", "x-api-key=", "x-goog-api-key:",
        "x-goog-api-key=", "api-key:", "api-key=", "api_key=", "api_key:", "apikey=", "key=", "token=",
        "\"authorization\":\"", "\"x-api-key\":\"", "\"x-goog-api-key\":\"",
    ].map { Array($0.utf8) }

    private let secrets: [[UInt8]]

    public init(secrets: some Sequence<String>) {
        let unique = Set(secrets.filter { $0.utf8.count >= Self.minimumSecretLength })
        self.secrets = unique.sorted().map { Array($0.utf8) }
    }

    /// `text` with every secret replaced by `marker`.
    public func redact(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return text }
        var hidden = [Bool](repeating: false, count: bytes.count)
        var found = false
        for secret in self.secrets { found = Self.hide(fragmentsOf: secret, in: bytes, marking: &hidden) || found }
        found = Self.hideCredentialValues(in: bytes, marking: &hidden) || found
        guard found else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if hidden[index] {
                output += Array(Self.marker.utf8)
                while index < bytes.count, hidden[index] { index += 1 }
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// `error` with its provider-given texts redacted.
    public func redact(_ error: ProviderError) -> ProviderError {
        var error = error
        error.message = self.redact(error.message)
        error.type = error.type.map(self.redact)
        error.code = error.code.map(self.redact)
        return error
    }

    /// Marks every run of `minimumFragment` or more bytes of `secret` in `text`. Runs only on error paths (short
    /// texts): a simple search per fragment start is enough.
    private static func hide(fragmentsOf secret: [UInt8], in text: [UInt8], marking hidden: inout [Bool]) -> Bool {
        let width = min(Self.minimumFragment, secret.count)
        guard text.count >= width else { return false }
        var found = false
        for start in 0...(secret.count - width) {
            let needle = secret[start..<(start + width)]
            var position = 0
            while position + width <= text.count {
                if text[position] == needle.first!, text[position..<(position + width)].elementsEqual(needle) {
                    // Extend the match as far as the secret goes on.
                    var end = position + width
                    var next = start + width
                    while end < text.count, next < secret.count, text[end] == secret[next] {
                        end += 1
                        next += 1
                    }
                    for index in position..<end { hidden[index] = true }
                    found = true
                    position = end
                } else {
                    position += 1
                }
            }
        }
        return found
    }

    /// Marks the value after each credential name: everything up to a space, quote, comma, semicolon, ampersand or
    /// bracket, when it is at least `minimumSecretLength` long (a scheme word like "Bearer" is skipped first).
    private static func hideCredentialValues(in text: [UInt8], marking hidden: inout [Bool]) -> Bool {
        let lowered = text.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        var found = false
        for name in Self.credentialNames {
            var position = 0
            while position + name.count <= lowered.count {
                guard lowered[position..<(position + name.count)].elementsEqual(name) else {
                    position += 1
                    continue
                }
                var start = position + name.count
                while start < text.count, text[start] == 32 { start += 1 }
                // `Authorization: Bearer X`: the scheme is not the secret, the token after it is.
                if lowered[start...].starts(with: Array("bearer ".utf8)) { start += 7 }
                var end = start
                while end < text.count, !Self.isDelimiter(text[end]) { end += 1 }
                if end - start >= Self.minimumSecretLength {
                    for index in start..<end { hidden[index] = true }
                    found = true
                }
                position = max(end, position + 1)
            }
        }
        return found
    }

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        switch byte {
        case 32, 9, 10, 13, 34, 39, 44, 59, 38, 41, 93, 125, 92: true  // space tab LF CR " ' , ; & ) ] } \
        default: false
        }
    }
}
