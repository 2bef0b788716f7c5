import ArgumentParser
import JunctionClient
import JunctionCore

#if canImport(Glibc)
import Glibc
#endif

struct Health: ParsableCommand {
    /// `95s` → `1m35s`.
    static func seconds(_ milliseconds: Int) -> String {
        let seconds = (milliseconds + 500) / 1000
        let remainder = seconds % 60
        return seconds < 60 ? "\(seconds)s" : "\(seconds / 60)m\(remainder < 10 ? "0" : "")\(remainder)s"
    }

    static let configuration = CommandConfiguration(abstract: "Provider and target health: status, breaker, latency, errors.")
    @OptionGroup var global: GlobalOptions

    @Option(help: "Only this provider.")
    var provider: String?

    func run() throws {
        let result = try self.global.call("providers.health", params: self.provider.map { ["provider": .string($0)] })
        if self.global.json {
            print(result.compactText)
            return
        }
        var rows = [["PROVIDER", "MODEL", "STATUS", "BREAKER", "P50 MS", "P95 MS", "ERRORS", "REQ/MIN", "REASON"]]
        func row(_ provider: String, _ model: String, _ entry: JSONValue) -> [String] {
            let breaker = entry["breaker"]
            var breakerText = breaker?["state"]?.stringValue ?? "?"
            if let since = breaker?["open_since_ms"]?.intValue {
                // How long it has been open, and when the next probe is due (the open interval may be long over).
                breakerText += " \(Self.seconds(since))"
                if let next = breaker?["next_probe_in_ms"]?.intValue { breakerText += ", probe in \(Self.seconds(next))" }
            }
            let latency = entry["latency_ms"]
            let errorRate = entry["error_rate"]?.doubleValue.map { "\(Int(($0 * 100).rounded()))%" } ?? "-"
            return [
                provider, model, entry["status"]?.stringValue ?? "?", breakerText,
                latency?["p50"]?.intValue.map { "\($0)" } ?? "-", latency?["p95"]?.intValue.map { "\($0)" } ?? "-", errorRate,
                entry["requests_last_minute"]?.intValue.map { "\($0)" } ?? "0", entry["reason"]?.stringValue ?? "",
            ]
        }
        for provider in result["providers"]?.arrayValue ?? [] {
            let name = provider["provider"]?.stringValue ?? "?"
            rows.append(row(name, "*", provider))
            for target in provider["targets"]?.arrayValue ?? [] {
                rows.append(row("", target["model"]?.stringValue ?? "?", target))
            }
        }
        print(Table.render(rows))
    }
}

struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Probe a provider now (its models endpoint, or a 1-token generate with --model).")
    @OptionGroup var global: GlobalOptions

    @Argument(help: "The provider.")
    var provider: String

    @Option(help: "Probe this model with a 1-token generate.")
    var model: String?

    func run() throws {
        var params: JSONObject = ["provider": .string(self.provider)]
        if let model = self.model { params["model"] = .string(model) }
        let result = try self.global.call("providers.probe", params: .object(params))
        if self.global.json {
            print(result.compactText)
            return
        }
        print("\(self.provider): \(result["ok"] == true ? "ok" : "FAILED") in \(result["latency_ms"]?.intValue ?? 0) ms — \(result["detail"]?.stringValue ?? "")")
        if result["ok"] != true { throw ExitCode(ExitStatus.errorReply) }
    }
}

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print provider status and breaker events as they happen (Ctrl-C to stop).")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let client: RPCClient
        do {
            client = try RPCClient(path: self.global.socketPath, timeout: nil)
        } catch {
            writeStderr("junctionctl: \(error)\nhint: is junctiond running?\n")
            throw ExitCode(ExitStatus.cannotConnect)
        }
        _ = try client.call("events.subscribe", params: ["topics": ["provider.status", "breaker.state"]])
        writeStderr("watching provider.status and breaker.state events…\n")
        while true {
            let message = try client.receive()
            guard message["method"] == "event", let params = message["params"] else { continue }
            // Written straight to the descriptor: each event appears at once, even through a pipe.
            if self.global.json {
                writeStdout(params.compactText + "\n")
            } else {
                let model = params["model"]?.stringValue.map { ":\($0)" } ?? ""
                writeStdout(
                    "\(params["topic"]?.stringValue ?? "event")  \(params["provider"]?.stringValue ?? "?")\(model)  "
                        + "\(params["from"]?.stringValue ?? "?") → \(params["to"]?.stringValue ?? "?")  \(params["reason"]?.stringValue ?? "")\n"
                )
            }
        }
    }
}

struct Breaker: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Circuit breakers.", subcommands: [BreakerReset.self])
}

struct BreakerReset: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reset", abstract: "Close breakers by hand: PROVIDER or PROVIDER:MODEL.")
    @OptionGroup var global: GlobalOptions

    @Argument(help: "PROVIDER or PROVIDER:MODEL.")
    var target: String

    func run() throws {
        let parts = self.target.split(separator: ":", maxSplits: 1).map(String.init)
        var params: JSONObject = ["provider": .string(parts[0])]
        if parts.count > 1 { params["model"] = .string(parts[1]) }
        let result = try self.global.call("admin.breaker.reset", params: .object(params))
        print(self.global.json ? result.compactText : "closed \(result["closed"]?.intValue ?? 0) breaker(s) of \(self.target)")
    }
}

struct ProviderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider",
        abstract: "Enable or disable a provider at run time.",
        subcommands: [ProviderEnable.self, ProviderDisable.self]
    )
}

struct ProviderEnable: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Route requests to PROVIDER again.")
    @OptionGroup var global: GlobalOptions
    @Argument var provider: String

    func run() throws {
        let result = try self.global.call("admin.provider.enable", params: ["provider": .string(self.provider)])
        print(self.global.json ? result.compactText : "\(self.provider) enabled")
    }
}

struct ProviderDisable: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Stop routing requests to PROVIDER.")
    @OptionGroup var global: GlobalOptions
    @Argument var provider: String

    func run() throws {
        let result = try self.global.call("admin.provider.disable", params: ["provider": .string(self.provider)])
        print(self.global.json ? result.compactText : "\(self.provider) disabled")
    }
}
