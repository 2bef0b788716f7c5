import ArgumentParser
import JunctionClient
import JunctionCore

#if canImport(Glibc)
import Glibc
#endif

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask for a completion; the prompt comes from the argument or, when omitted, standard input."
    )
    @OptionGroup var global: GlobalOptions

    @Argument(help: "The prompt (default: read standard input).")
    var prompt: String?

    @Option(help: "\"provider:model\", or a model listed in the configuration.")
    var model: String?

    @Option(help: "A configured route.")
    var route: String?

    @Option(help: "A system prompt.")
    var system: String?

    @Option(help: "Most tokens to generate.")
    var maxTokens: Int?

    @Flag(help: "Print the answer as it is generated.")
    var stream = false

    @Option(help: "A client label for the request (budgets may match it; the ledger records it).")
    var client: String?

    func validate() throws {
        if self.model != nil && self.route != nil { throw ValidationError("give --model or --route, not both") }
        if let maxTokens = self.maxTokens, maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1") }
    }

    func run() throws {
        let prompt = self.prompt ?? readStandardInput()
        // Refused here rather than by the daemon, so that `junctionctl generate < /dev/null` is a usage error.
        if prompt.allSatisfy(\.isWhitespace) {
            let source = self.prompt == nil ? "standard input was empty" : "the prompt is empty"
            writeStderr("junctionctl: \(source): give a prompt as an argument or on standard input\n")
            throw ExitCode(ExitStatus.usage)
        }
        var params: JSONObject = ["prompt": .string(prompt)]
        if let model = self.model { params["model"] = .string(model) }
        if let route = self.route { params["route"] = .string(route) }
        if let system = self.system { params["system"] = .string(system) }
        if let maxTokens = self.maxTokens { params["max_tokens"] = .int(maxTokens) }
        if self.stream { params["stream"] = true }
        if let client = self.client { params["client"] = .string(client) }
        var printed = false
        let result = try self.global.call("generate", params: .object(params)) { method, notification in
            guard !self.global.json else { return }
            switch method {
            case "generate.delta":
                writeStdout(notification["text"]?.stringValue ?? "")
                printed = true
            case "generate.restart":
                if printed { writeStdout("\n") }
                writeStderr("[\(notification["reason"]?.stringValue ?? "provider failed"); answering again from the next provider]\n")
                printed = false
            default:
                break
            }
        }
        if self.global.json {
            print(result.compactText)
            return
        }
        if !self.stream { writeStdout(result["text"]?.stringValue ?? "") }
        writeStdout("\n")
        let usage = result["usage"]
        let cost = result["cost_usd"]?.doubleValue.map { "$" + (result["cost_usd"]?.compactText ?? "\($0)") }
            ?? "cost unknown"
        writeStderr(
            "— \(result["provider"]?.stringValue ?? "?"):\(result["model"]?.stringValue ?? "?"), "
                + "\(usage?["prompt_tokens"]?.intValue ?? 0)+\(usage?["completion_tokens"]?.intValue ?? 0) tokens, "
                + "\(cost), \(result["latency_ms"]?.intValue ?? 0) ms, "
                + "finish: \(result["finish_reason"]?.stringValue ?? "?"), "
                + "request \(result["request_id"]?.stringValue ?? "?")\n"
        )
    }
}

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List models: configured ones and what providers offer.")
    @OptionGroup var global: GlobalOptions

    @Option(help: "Only this provider.")
    var provider: String?

    func run() throws {
        let result = try self.global.call("models.list", params: self.provider.map { ["provider": .string($0)] })
        if self.global.json {
            print(result.compactText)
            return
        }
        var rows = [["PROVIDER", "MODEL", "CONFIGURED", "CONTEXT"]]
        for model in result["models"]?.arrayValue ?? [] {
            rows.append([
                model["provider"]?.stringValue ?? "", model["id"]?.stringValue ?? "",
                model["configured"] == true ? "yes" : "", model["context_window"]?.intValue.map { "\($0)" } ?? "",
            ])
        }
        print(Table.render(rows))
        for error in result["errors"]?.arrayValue ?? [] {
            writeStderr("warning: \(error["provider"]?.stringValue ?? "?"): \(error["message"]?.stringValue ?? "")\n")
        }
    }
}

struct Providers: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List configured providers (keys are never shown).")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let result = try self.global.call("providers.list")
        if self.global.json {
            print(result.compactText)
            return
        }
        var rows = [["NAME", "KIND", "PRIORITY", "ENABLED", "KEY", "BASE URL"]]
        for provider in result["providers"]?.arrayValue ?? [] {
            let key = provider["key"]
            let keyText =
                key?["source"] == .null ? "none needed"
                : "\(key?["source"]?.stringValue ?? "?") (\(key?["present"] == true ? "present" : "missing"))"
            rows.append([
                provider["name"]?.stringValue ?? "", provider["kind"]?.stringValue ?? "",
                provider["priority"]?.intValue.map { "\($0)" } ?? "", provider["enabled"] == true ? "yes" : "no", keyText,
                provider["base_url"]?.stringValue ?? "",
            ])
        }
        print(Table.render(rows))
    }
}

/// Left-aligned columns separated by two spaces.
enum Table {
    static func render(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

func writeStdout(_ text: String) {
    var bytes = Array(text.utf8)
    bytes.withUnsafeMutableBytes { _ = write(STDOUT_FILENO, $0.baseAddress, $0.count) }
}
