import Foundation
import JunctionCore
import Testing

extension EndToEnd {
    @Suite("junctionctl")
    struct JunctionCtlTests {
        private func ctl(_ arguments: [String], stdin: String? = nil) throws -> CommandResult {
            try runCommand(binaryDirectory() + "/junctionctl", arguments, environment: ["PATH": "/usr/bin:/bin"], stdin: stdin)
        }

        @Test func statusPrintsATable() throws {
            let daemon = try DaemonProcess(config: "[providers.openai]\napi_key_env = \"NONE\"\n")
            let result = try self.ctl(["--socket", daemon.socket, "status"])
            #expect(result.status == 0)
            #expect(result.stdout.hasPrefix("junctiond \(JunctionVersion.current)  pid \(daemon.pid)"))
            #expect(result.stdout.contains("socket        \(daemon.socket)"))
            #expect(result.stdout.contains("config        \(daemon.configPath)"))
            #expect(result.stdout.contains("providers     1 configured, 1 enabled"))
            let json = try self.ctl(["status", "--socket", daemon.socket, "--json"])
            #expect(try JSONValue.parse(json.stdout)["pid"] == .int(daemon.pid))
        }

        @Test func pingReloadSchemaAndCall() throws {
            let daemon = try DaemonProcess()
            let ping = try self.ctl(["--socket", daemon.socket, "ping"])
            #expect(ping.status == 0)
            #expect(ping.stdout.hasPrefix("pong from junctiond \(JunctionVersion.current) in "))
            let reload = try self.ctl(["--socket", daemon.socket, "reload"])
            #expect(reload.status == 0)
            #expect(reload.stdout.hasPrefix("configuration reloaded from \(daemon.configPath)"))
            let schema = try self.ctl(["--socket", daemon.socket, "schema", "--json"])
            #expect(try JSONValue.parse(schema.stdout) == (try JSONValue.parse(self.schemaFile())))
            let call = try self.ctl(["--socket", daemon.socket, "call", "ping", #"{"delay_ms": 1}"#])
            #expect(call.status == 0)
            #expect(try JSONValue.parse(call.stdout)["pong"] == true)
            let fromStdin = try self.ctl(["--socket", daemon.socket, "--json", "call", "ping", "-"], stdin: #"{"delay_ms": 2}"#)
            #expect(fromStdin.status == 0)
            #expect(try JSONValue.parse(fromStdin.stdout)["pong"] == true)
        }

        @Test func anErrorReplyExitsOneWithTheCodeOnStderr() throws {
            let daemon = try DaemonProcess()
            let unknown = try self.ctl(["--socket", daemon.socket, "call", "no.such.method"])
            #expect(unknown.status == 1)
            #expect(unknown.stderr.hasPrefix("error -32601: Method not found: no.such.method"))
            #expect(unknown.stdout.isEmpty)
            let badParams = try self.ctl(["--socket", daemon.socket, "call", "ping", #"{"delay_ms": -5}"#])
            #expect(badParams.status == 1)
            #expect(badParams.stderr.contains("error -32602: Invalid params: delay_ms must be between 0 and 600000"))
            let timedOut = try self.ctl(["--socket", daemon.socket, "--timeout", "0.2", "call", "ping", #"{"delay_ms": 5000}"#])
            #expect(timedOut.status == 1)
            #expect(timedOut.stderr.hasPrefix("error -32007"))
        }

        @Test func usageErrorsExitTwo() throws {
            #expect(try self.ctl(["frobnicate"]).status == 2)
            #expect(try self.ctl(["call"]).status == 2)
            let badJSON = try self.ctl(["call", "ping", "{not json"])
            #expect(badJSON.status == 2)
            #expect(badJSON.stderr.contains("params are not valid JSON"))
            #expect(try self.ctl(["ping", "--timeout", "-1"]).status == 2)
            #expect(try self.ctl(["--help"]).status == 0)
        }

        @Test func anEmptyPromptIsAUsageErrorAndNothingIsSent() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let empty = try self.ctl(["--socket", daemon.socket, "generate"], stdin: "")
            #expect(empty.status == 2)
            #expect(empty.stderr.contains("standard input was empty"))
            let blank = try self.ctl(["--socket", daemon.socket, "generate", "  \n"])
            #expect(blank.status == 2)
            #expect(blank.stderr.contains("the prompt is empty"))
            #expect(try sim.requests().filter { $0["method"] != "GET" }.isEmpty)
            // The daemon refuses it too, naming the field, for clients other than junctionctl.
            let raw = try self.ctl(["--socket", daemon.socket, "call", "generate", #"{"prompt": " "}"#])
            #expect(raw.status == 1)
            #expect(raw.stderr.hasPrefix("error -32602: Invalid params: prompt must not be empty"))
        }

        @Test func aFailedGenerateListsEveryAttemptAndSkippedTarget() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: "[routes.both]\ntargets = [\"openai:sim-401\", \"anthropic:sim-401\"]\n")
            let failed = try self.ctl(["--socket", daemon.socket, "generate", "--route", "both", "hi"])
            #expect(failed.status == 1)
            #expect(failed.stdout.isEmpty)
            let lines = failed.stderr.split(separator: "\n").map(String.init)
            #expect(lines.first == "error -32001: No provider could answer (2 attempts, 0 targets skipped)")
            #expect(lines.contains("  attempts:"))
            #expect(lines.contains { $0.hasPrefix("    1. openai:sim-401  auth  status 401  reason auth_failed  took ") })
            #expect(lines.contains { $0.hasPrefix("    2. anthropic:sim-401  auth  status 401  reason auth_failed  took ") })
            #expect(lines.contains { $0.hasSuffix("(authentication_error): invalid x-api-key") })
            // Both providers are now marked unhealthy: the next request skips them, and says why.
            let skipped = try self.ctl(["--socket", daemon.socket, "generate", "--route", "both", "hi"])
            #expect(skipped.status == 1)
            #expect(
                skipped.stderr.contains(
                    "  skipped:\n    - openai:sim-401  auth_failed: the provider rejected the key: Incorrect API key provided.\n"
                        + "    - anthropic:sim-401  auth_failed: the provider rejected the key: invalid x-api-key\n"
                )
            )
            // --json: the whole error object on stdout.
            let json = try self.ctl(["--socket", daemon.socket, "--json", "generate", "--route", "both", "hi"])
            #expect(json.status == 1)
            let error = try JSONValue.parse(json.stdout)
            #expect(error["code"] == -32001)
            #expect(error["message"]?.stringValue?.hasPrefix("No provider could answer") == true)
            #expect(error["data"]?["skipped"]?.arrayValue?.count == 2)
            for secret in SimProcess.keys.values {
                #expect(!failed.stderr.contains(secret) && !json.stdout.contains(secret))
            }
        }

        @Test func helpListsTheGlobalOptions() throws {
            let help = try self.ctl(["--help"])
            #expect(help.status == 0)
            #expect(help.stdout.contains("USAGE: junctionctl [--socket <socket>] [--json] [--timeout <timeout>] <subcommand>"))
            for option in ["--socket <socket>", "--json", "--timeout <timeout>"] {
                #expect(help.stdout.contains("\n  \(option)"), "\(option)")
            }
        }

        @Test func aDaemonThatIsNotRunningExitsThreeWithAHint() throws {
            let directory = try TemporaryDirectory()
            let socket = directory.path + "/absent.sock"
            let result = try self.ctl(["--socket", socket, "status"])
            #expect(result.status == 3)
            #expect(result.stderr.contains("cannot connect to \(socket)"))
            #expect(result.stderr.contains("is junctiond running?"))
        }

        private func schemaFile() throws -> String {
            try String(contentsOfFile: packageRoot() + "/rpc-schema/openrpc.json", encoding: .utf8)
        }
    }
}
