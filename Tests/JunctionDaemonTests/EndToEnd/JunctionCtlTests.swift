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
