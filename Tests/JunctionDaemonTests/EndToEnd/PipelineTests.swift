import Foundation
import JunctionClient
import JunctionCore
import Testing

extension EndToEnd {
    /// The pipeline's seams through the real daemon, libcurl and junction-sim: the routing plan, admin marks,
    /// and a reload that rebuilds policy state.
    @Suite("Request pipeline end to end")
    struct PipelineTests {
        private func ctl(_ arguments: [String]) throws -> CommandResult {
            try runCommand(binaryDirectory() + "/junctionctl", arguments, environment: ["PATH": "/usr/bin:/bin"])
        }

        /// Defect 5: `admin.provider.disable` shows in providers.list, daemon.status, providers.health and the plan.
        @Test func anAdminDisabledProviderShowsEverywhere() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: "[routes.r]\ntargets = [\"openai:gpt-4o-mini\", \"anthropic:claude\"]\n")
            let client = try daemon.client()
            let enabledBefore = try client.call("daemon.status")["providers_enabled"]?.intValue ?? 0
            _ = try client.call("admin.provider.disable", params: ["provider": "openai"])
            let listed = try client.call("providers.list")["providers"]?.arrayValue?.first { $0["name"] == "openai" }
            #expect(listed?["enabled"] == false)
            #expect(listed?["disabled_by_admin"] == true)
            let status = try client.call("daemon.status")
            #expect(status["providers_enabled"]?.intValue == enabledBefore - 1)
            #expect(status["providers_disabled_by_admin"] == ["openai"])
            let health = try client.call("providers.health", params: ["provider": "openai"])["providers"]?.arrayValue?.first
            #expect(health?["status"] == "DISABLED")
            let plan = try client.call("routes.plan", params: ["route": "r"])
            #expect(plan["targets"]?.arrayValue?.map { $0["eligible"] } == [false, true])
            #expect(plan["targets"]?.arrayValue?.first?["reason"] == "admin_disabled")
            // The request goes to the other target, and says why the first was skipped.
            let result = try client.call("generate", params: ["prompt": "hi", "route": "r"])
            #expect(result["provider"] == "anthropic")
            #expect(try sim.requests().allSatisfy { $0["model"] != "gpt-4o-mini" })
            let printed = try self.ctl(["--socket", daemon.socket, "plan", "--route", "r"])
            #expect(printed.status == 0)
            #expect(printed.stdout.contains("openai:gpt-4o-mini"))
            #expect(printed.stdout.contains("skipped: admin_disabled"))
            #expect(printed.stdout.contains("anthropic:claude"))
            _ = try client.call("admin.provider.enable", params: ["provider": "openai"])
            #expect(try client.call("routes.plan", params: ["route": "r"])["eligible"] == 2)
        }

        @Test func thePlanExplainsEveryReason() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(
                extra: """
                    [providers.off]
                    kind = "openai-compatible"
                    base_url = "\(SimProcess.placeholder)/v1"
                    enabled = false
                    [[providers.off.models]]
                    id = "m"
                    [providers.small]
                    kind = "openai-compatible"
                    base_url = "\(SimProcess.placeholder)/v1"
                    [[providers.small.models]]
                    id = "tiny"
                    context_window = 100
                    [routes.r]
                    targets = ["off:m", "small:tiny", "openai:gpt-4o-mini"]

                    """
            )
            let client = try daemon.client()
            let plan = try client.call("routes.plan", params: ["route": "r", "prompt_tokens": 500])
            let targets = plan["targets"]?.arrayValue ?? []
            #expect(targets.map { $0["reason"]?.stringValue ?? "eligible" } == ["disabled", "context_window_too_small", "eligible"])
            #expect(targets[1]["detail"]?.stringValue?.contains("context window 100") == true)
            #expect(plan["eligible"] == 1)
            do {
                _ = try client.call("routes.plan", params: ["route": "nope"])
                Issue.record("an unknown route was planned")
            } catch let reply as RPCClient.ErrorReply {
                #expect(reply.code == -32602)
            }
        }

        /// Defect 2: a reload raising `rpm` from 1 to 1000 takes effect at once.
        @Test func aReloadRaisingALimitTakesEffectAtOnce() throws {
            let sim = try SimProcess()
            let limited = "[providers.openai.limits]\nrpm = 1\nmax_queue_wait = \"100ms\"\n"
            let daemon = try sim.daemon(extra: limited)
            let client = try daemon.client()
            let params: JSONValue = ["prompt": "hi", "model": "openai:gpt-4o-mini"]
            #expect(try client.call("generate", params: params)["provider"] == "openai")
            do {
                _ = try client.call("generate", params: params)
                Issue.record("a second request in the minute was admitted with rpm = 1")
            } catch let reply as RPCClient.ErrorReply {
                #expect(reply.code == -32002)
            }
            let raised = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
                .replacingOccurrences(of: "rpm = 1\n", with: "rpm = 1000\n")
            try raised.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
            _ = try client.call("admin.reload")
            #expect(try client.call("generate", params: params)["provider"] == "openai")
            let health = try client.call("providers.health", params: ["provider": "openai"])["providers"]?.arrayValue?.first
            #expect(health?["rate_window"]?["rpm_limit"] == 1000)
        }
    }
}
