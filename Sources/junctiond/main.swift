import ArgumentParser
import JunctionCore
import JunctionDaemon


/// `junctiond`: the Junction daemon.
@main
struct JunctionDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "junctiond",
        abstract: "Junction, the local LLM gateway daemon: JSON-RPC 2.0 over a Unix socket.",
        version: JunctionVersion.current
    )

    @Option(name: .long, help: "Configuration file (default: /etc/junction/junction.toml).")
    var config: String?

    @Option(name: .long, help: "Unix socket path (overrides the configuration).")
    var socket: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    @Flag(name: .long, help: "Validate the configuration, list its problems, and exit 0 (valid) or 1 (invalid).")
    var checkConfig = false

    func run() async throws {
        let options = DaemonOptions(configPath: self.config, socketPath: self.socket, logLevel: self.logLevel)
        if self.checkConfig {
            throw ExitCode(Daemon.checkConfig(options: options))
        }
        do {
            try await Daemon.run(options: options)
        } catch let error as DaemonStartupError {
            printError("junctiond: \(error.description)")
            throw ExitCode(error.exitCode)
        }
    }
}
