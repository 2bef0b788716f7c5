import JunctionCore
import Logging

/// The daemon's whole configuration, as read from `junction.toml` (or the defaults when there is none).
/// A value type: a reload builds a new one and swaps it in whole, or keeps the old one if the new is invalid.
struct DaemonConfig: Sendable, Equatable {
    var server = ServerConfig()
    var providers: [ProviderConfig] = []
}

/// `[server]`: the socket and the protocol's limits.
struct ServerConfig: Sendable, Equatable {
    /// nil: the default path for how the daemon runs (see `SocketLocation`).
    var socket: String?
    var socketMode: UInt32 = 0o660
    /// nil: the socket keeps the daemon's group.
    var socketGroup: String?
    /// nil: only root and the daemon's own user may call `admin.*`.
    var adminGroup: String?
    var maxConnections = 1024
    var maxLineBytes = 8 * 1024 * 1024
    var maxInflightPerConnection = 256
    var maxJSONDepth = 64
    var maxWriteBufferBytes = 16 * 1024 * 1024
    var drainTimeout: Duration = .seconds(10)
    var logLevel: Logger.Level = .info
}

/// `[providers.NAME]`: one upstream and how to authenticate to it.
struct ProviderConfig: Sendable, Equatable {
    var name: String
    var kind: ProviderKind
    var baseURL: String
    var key: KeySource?
    var priority = 1
    var enabled = true
    var models: [ModelConfig] = []
}

/// `[[providers.NAME.models]]`
struct ModelConfig: Sendable, Equatable {
    var id: String
    var contextWindow: Int?
    var inputUSDPerMillionTokens: Double?
    var outputUSDPerMillionTokens: Double?
}

/// Where a provider's API key comes from. The key itself is read when needed and never stored in the config
/// value, so that printing or comparing configurations cannot leak it.
enum KeySource: Sendable, Equatable, CustomStringConvertible {
    case environment(String)
    case file(String)
    /// A systemd credential (`LoadCredential=`), read from `$CREDENTIALS_DIRECTORY/NAME`.
    case credential(String)
    /// Written in the config file itself (discouraged; warned about when the file is readable by others).
    case inline(Secret)

    var description: String {
        switch self {
        case .environment(let name): "env:\(name)"
        case .file(let path): "file:\(path)"
        case .credential(let name): "credential:\(name)"
        case .inline: "inline (in the config file)"
        }
    }
}

/// A secret value that never prints itself: `description`, string interpolation and `dump` show a placeholder.
struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    let value: String

    var description: String { "<redacted>" }
    var debugDescription: String { "<redacted>" }
}
