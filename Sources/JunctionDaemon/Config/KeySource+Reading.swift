#if canImport(Glibc)
import Glibc
#endif

extension KeySource {
    var isInline: Bool {
        if case .inline = self { return true }
        return false
    }

    /// Reads the key. Errors describe where it was looked for, never what was found.
    func read(environment: [String: String]) -> Result<String, KeyUnavailable> {
        switch self {
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else {
                return .failure(KeyUnavailable(reason: "environment variable \(name) is not set"))
            }
            return .success(value)
        case .file(let path):
            return Self.readKeyFile(path)
        case .credential(let name):
            guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
                return .failure(
                    KeyUnavailable(reason: "systemd credential \(name) requested but $CREDENTIALS_DIRECTORY is not set")
                )
            }
            return Self.readKeyFile("\(directory)/\(name)")
        case .inline(let secret):
            return .success(secret.value)
        }
    }

    private static func readKeyFile(_ path: String) -> Result<String, KeyUnavailable> {
        guard let text = readSmallFile(path, limit: 64 * 1024) else {
            return .failure(KeyUnavailable(reason: "cannot read \(path): \(String(cString: strerror(errno)))"))
        }
        let key = text.trimmingCharacters()
        guard !key.isEmpty else { return .failure(KeyUnavailable(reason: "\(path) is empty")) }
        return .success(key)
    }
}

/// Why a provider's key could not be read, safe to log.
struct KeyUnavailable: Error, Sendable, CustomStringConvertible {
    var reason: String
    var description: String { self.reason }
}
