import Logging

extension Logger.Level {
    static let configNames = "trace, debug, info, notice, warning, error, critical"

    init?(configName: String) {
        switch configName.lowercased() {
        case "trace": self = .trace
        case "debug": self = .debug
        case "info": self = .info
        case "notice": self = .notice
        case "warning", "warn": self = .warning
        case "error": self = .error
        case "critical": self = .critical
        default: return nil
        }
    }
}
