import ArgumentParser
import JunctionClient
import JunctionCore

struct Prices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show model prices (USD per million tokens): configured models and the built-in table."
    )
    @OptionGroup var global: GlobalOptions

    @Option(help: "Only this provider.")
    var provider: String?

    func run() throws {
        let result = try self.global.call("prices.list", params: self.provider.map { ["provider": .string($0)] })
        if self.global.json {
            print(result.compactText)
            return
        }
        print("prices as of \(result["as_of"]?.stringValue ?? "?") (USD per 1M tokens)")
        for provider in result["providers"]?.arrayValue ?? [] {
            print("")
            print("\(provider["provider"]?.stringValue ?? "?") (\(provider["kind"]?.stringValue ?? "?"))")
            if let note = provider["note"]?.stringValue { print("  \(note)") }
            let models = provider["models"]?.arrayValue ?? []
            guard !models.isEmpty else { continue }
            var rows = [["MODEL", "INPUT", "CACHED", "CACHE WRITE", "WRITE 1H", "OUTPUT", "REASONING", "SOURCE"]]
            for model in models {
                rows.append(self.row(model, name: model["model"]?.stringValue ?? ""))
                if let long = model["long_context"] {
                    rows.append(self.row(long, name: "  > \(long["above_tokens"]?.intValue ?? 0) prompt tokens"))
                }
            }
            // Indented under the provider; a tier row's empty last column leaves no trailing blanks.
            let lines = Table.render(rows).split(separator: "\n", omittingEmptySubsequences: false).map { line in
                "  " + line.reversed().drop { $0 == " " }.reversed()
            }
            print(lines.joined(separator: "\n"))
        }
    }

    private func row(_ rates: JSONValue, name: String) -> [String] {
        func usd(_ key: String) -> String {
            guard case .number(let text)? = rates[key] else { return "-" }
            return Self.trimmed(text)
        }
        var source = rates["source"]?.stringValue ?? ""
        if let pricedAs = rates["priced_as"]?.stringValue { source += " (as \(pricedAs))" }
        if rates["configured"] == true { source += ", configured" }
        return [
            name, usd("input_usd_per_mtok"), usd("cached_input_usd_per_mtok"), usd("cache_write_usd_per_mtok"),
            usd("cache_write_1h_usd_per_mtok"), usd("output_usd_per_mtok"), usd("reasoning_usd_per_mtok"), source,
        ]
    }

    /// `"1.250000"` → `"1.25"`, `"3.000000"` → `"3.00"`: at least cents, no trailing zeros beyond.
    static func trimmed(_ decimal: String) -> String {
        let parts = decimal.split(separator: ".", maxSplits: 1)
        guard parts.count == 2 else { return decimal }
        var fraction = String(parts[1])
        while fraction.count > 2, fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(parts[0]).\(fraction)"
    }
}
