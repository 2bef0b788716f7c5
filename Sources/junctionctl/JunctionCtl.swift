import ArgumentParser
import JunctionClient
import JunctionCore
import JunctionRPC

#if canImport(Glibc)
import Glibc
#endif

/// `junctionctl`: the admin client for junctiond.
///
/// Exit status: 0 success, 1 the daemon answered with an error (or did not answer in time), 2 usage error,
/// 3 the daemon could not be reached.
@main
struct JunctionCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "junctionctl",
        abstract: "Control and query a running junctiond.",
        version: JunctionVersion.current,
        subcommands: [
            Status.self, Ping.self, Reload.self, Generate.self, Models.self, Providers.self, Prices.self, Health.self,
            Plan.self, Probe.self, Watch.self,
            Breaker.self, ProviderCommand.self, UsageCommand.self, Quota.self, CacheCommand.self, Call.self, Schema.self,
            Metrics.self, Top.self, FeedbackCommand.self,
        ]
    )

    /// Declared here only so that `junctionctl --help` lists them: every subcommand parses its own copy, and
    /// `movingGlobalOptions` hands the ones written before the subcommand to it.
    @OptionGroup(title: "Global options (before or after the subcommand)") var global: GlobalOptions

    /// Parses, runs, and maps failures to the documented exit codes (ArgumentParser's own usage code is 64).
    static func main() async {
        do {
            var command = try Self.parseAsRoot(Self.movingGlobalOptions(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = Self.exitCode(for: error)
            if code == .validationFailure {
                writeStderr(Self.fullMessage(for: error) + "\n")
                Glibc.exit(ExitStatus.usage)
            }
            Self.exit(withError: error)
        }
    }
}

extension JunctionCtl {
    /// Global options may come before the subcommand (`junctionctl --socket S status`); ArgumentParser wants
    /// them after it, where every subcommand declares them through `GlobalOptions`.
    static func movingGlobalOptions(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var rest = arguments[...]
        while let first = rest.first {
            let name = first.split(separator: "=", maxSplits: 1).first.map(String.init) ?? first
            if first == "--json" {
                leading.append(first)
                rest = rest.dropFirst()
            } else if name == "--socket" || name == "--timeout" {
                leading.append(first)
                rest = rest.dropFirst()
                if !first.contains("="), let value = rest.first {
                    leading.append(value)
                    rest = rest.dropFirst()
                }
            } else {
                break
            }
        }
        guard let subcommand = rest.first else { return arguments }
        // Two-word commands (`breaker reset`, `provider enable`) take the options after their second word.
        // `usage` alone is a command too (its default `summary`): only its named subcommands take two words.
        let second = rest.count > 1 ? rest[rest.startIndex + 1] : nil
        let twoWords = ["breaker", "provider"].contains(subcommand)
            || (subcommand == "usage" && ["export", "summary"].contains(second))
            || (subcommand == "cache" && ["stats", "clear"].contains(second))
        if twoWords, rest.count > 1 {
            return [subcommand, rest[rest.startIndex + 1]] + leading + Array(rest.dropFirst(2))
        }
        return [subcommand] + leading + Array(rest.dropFirst())
    }
}

enum ExitStatus {
    static let errorReply: Int32 = 1
    static let usage: Int32 = 2
    static let cannotConnect: Int32 = 3
}

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The daemon's socket (default: $JUNCTION_SOCKET, then the usual paths).")
    var socket: String?

    @Flag(name: .long, help: "Print the raw JSON result (or, on failure, the whole error object) instead of a summary.")
    var json = false

    @Option(name: .long, help: "Seconds to wait for an answer.")
    var timeout: Double = 30

    func validate() throws {
        guard self.timeout > 0 else { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    var socketPath: String { self.socket ?? SocketCandidates.pick(environment: ProcessEnvironment.current()) }

    /// Connects, calls, and turns every failure into its exit status with a message on stderr.
    func call(
        _ method: String,
        params: JSONValue? = nil,
        onNotification: (String, JSONValue) -> Void = { _, _ in }
    ) throws -> JSONValue {
        let path = self.socketPath
        let client: RPCClient
        do {
            client = try RPCClient(path: path, timeout: self.timeout)
        } catch {
            var message = "junctionctl: \(error)\n"
            message += "hint: is junctiond running? (systemctl status junctiond) Tried socket: \(path)"
            if self.socket == nil { message += "; pass --socket PATH or set JUNCTION_SOCKET" }
            writeStderr(message + "\n")
            throw ExitCode(ExitStatus.cannotConnect)
        }
        do {
            return try client.call(method, params: params, onNotification: onNotification)
        } catch let reply as RPCClient.ErrorReply {
            if self.json {
                print(ErrorOutput.json(reply).compactText)
            } else {
                writeStderr(ErrorOutput.lines(reply).map { $0 + "\n" }.joined())
            }
            throw ExitCode(ExitStatus.errorReply)
        } catch let failure as RPCClient.Failure {
            if case .timedOut = failure {
                writeStderr("error \(RPCErrorCode.timeout.rawValue): \(failure)\n")
            } else {
                writeStderr("junctionctl: \(failure)\n")
            }
            throw ExitCode(ExitStatus.errorReply)
        }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the daemon's state (daemon.status).")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let status = try self.global.call("daemon.status")
        if self.global.json {
            print(status.compactText)
            return
        }
        print(StatusTable.render(status))
    }
}

struct Ping: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check that the daemon answers.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let started = ContinuousClock.now
        let result = try self.global.call("ping")
        let elapsed = ContinuousClock.now - started
        if self.global.json {
            print(result.compactText)
            return
        }
        let version = result["version"]?.stringValue ?? "?"
        let uptime = Duration.milliseconds(result["uptime_ms"]?.intValue ?? 0)
        print("pong from junctiond \(version) in \(formatMilliseconds(elapsed)) (up \(formatUptime(uptime)))")
    }
}

struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Re-read the daemon's configuration (admin.reload).")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let result = try self.global.call("admin.reload")
        if self.global.json {
            print(result.compactText)
            return
        }
        let source = result["config_path"]?.stringValue ?? "defaults (no configuration file)"
        print("configuration reloaded from \(source): \(result["providers"]?.intValue ?? 0) providers")
        for warning in result["warnings"]?.arrayValue ?? [] {
            print("warning: \(warning.stringValue ?? "")")
        }
    }
}

struct Call: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Call any method: junctionctl call METHOD ['{\"param\": ...}' | -]"
    )
    @OptionGroup var global: GlobalOptions

    @Argument(help: "The method name, e.g. daemon.status.")
    var method: String

    @Argument(help: "Params as a JSON object or array; - reads them from standard input.")
    var params: String?

    func validate() throws {
        _ = try self.parsedParams(readingStdin: false)
    }

    func run() throws {
        let result = try self.global.call(self.method, params: try self.parsedParams(readingStdin: true))
        print(self.global.json ? result.compactText : result.prettyText)
    }

    private func parsedParams(readingStdin: Bool) throws -> JSONValue? {
        guard let text = self.params else { return nil }
        if text == "-" {
            guard readingStdin else { return nil }
            return try Self.parse(readStandardInput())
        }
        return try Self.parse(text)
    }

    private static func parse(_ text: String) throws -> JSONValue {
        let value: JSONValue
        do {
            value = try JSONValue.parse(text, maxDepth: 512)
        } catch {
            throw ValidationError("params are not valid JSON: \(error)")
        }
        guard value.objectValue != nil || value.arrayValue != nil else {
            throw ValidationError("params must be a JSON object or array")
        }
        return value
    }
}

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the daemon's OpenRPC document (rpc.discover).")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let document = try self.global.call("rpc.discover")
        print(self.global.json ? document.compactText : document.prettyText)
    }
}
