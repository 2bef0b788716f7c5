import ArgumentParser
import JunctionClient
import JunctionCore

/// `junctionctl plan`: where a request would go now, and why not elsewhere (`routes.plan`).
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show where a request would go now: every target in order, eligible or skipped with the reason.",
        discussion: "Answers \"why did my request not go to X?\" without sending anything."
    )
    @OptionGroup var global: GlobalOptions

    @Option(help: "A model (\"provider:model\", or a model id from the configuration), as generate takes it.")
    var model: String?

    @Option(help: "A route name, as generate takes it.")
    var route: String?

    @Option(
        name: .customLong("prompt-tokens"),
        help: "The prompt's size in tokens (targets with a smaller window are skipped)."
    )
    var promptTokens: Int?

    func validate() throws {
        if self.model != nil, self.route != nil { throw ValidationError("give either --model or --route, not both") }
    }

    func run() throws {
        var params = JSONObject()
        if let model = self.model { params["model"] = .string(model) }
        if let route = self.route { params["route"] = .string(route) }
        if let tokens = self.promptTokens { params["prompt_tokens"] = .int(tokens) }
        let result = try self.global.call("routes.plan", params: .object(params))
        if self.global.json {
            print(result.compactText)
            return
        }
        print(Self.render(result))
    }

    static func render(_ result: JSONValue) -> String {
        var rows = [["#", "TARGET", "VERDICT", "WHY"]]
        for (index, target) in (result["targets"]?.arrayValue ?? []).enumerated() {
            let name = "\(target["provider"]?.stringValue ?? "?"):\(target["model"]?.stringValue ?? "?")"
            if target["eligible"] == true {
                let wait = target["window_wait_ms"]?.intValue.map { "rate window has room in \($0) ms" } ?? ""
                rows.append(["\(index + 1)", name, "eligible", wait])
            } else {
                rows.append([
                    "\(index + 1)", name, "skipped: \(target["reason"]?.stringValue ?? "?")",
                    target["detail"]?.stringValue ?? "",
                ])
            }
        }
        var text = Table.render(rows)
        let eligible = result["eligible"]?.intValue ?? 0
        if eligible == 0 {
            if let fallback = result["all_open_fallback"], fallback != .null {
                text += "\nevery target's breaker is open: \(fallback["provider"]?.stringValue ?? "?"):"
                    + "\(fallback["model"]?.stringValue ?? "?") (open longest) still gets one attempt as its probe"
            } else {
                text += "\nno target is eligible now: a request would fail with -32001 (or -32002 when rate limited)"
            }
        }
        return text
    }
}
