import Foundation

/// `promtool` (Debian package `prometheus`): checks an exposition or rule file as Prometheus would.
enum Promtool {
    /// Where promtool is installed; nil when it is not (tests that need it say so and skip).
    static var path: String? {
        ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `promtool check metrics` with `text` on stdin: status 0 and no output when it is valid and lint-clean.
    static func checkMetrics(_ text: String, promtool: String) throws -> CommandResult {
        try runCommand(promtool, ["check", "metrics"], environment: ["PATH": "/usr/bin:/bin"], stdin: text)
    }
}
