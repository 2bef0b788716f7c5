import ArgumentParser
import JunctionClient
import JunctionCore

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "The response cache: what it holds and saved, and clearing it.",
        subcommands: [CacheStats.self, CacheClear.self],
        defaultSubcommand: CacheStats.self
    )
}

struct CacheStats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Entries, hits, misses and savings."
    )
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let stats = try self.global.call("cache.stats", params: nil)
        if self.global.json {
            print(stats.compactText)
            return
        }
        func int(_ key: String) -> String { stats[key]?.intValue.map { "\($0)" } ?? "-" }
        let ratio = stats["hit_ratio"]?.doubleValue.map { "\(Int(($0 * 100).rounded())) %" } ?? "-"
        let megabytes = { (key: String) -> String in
            guard let bytes = stats[key]?.intValue else { return "-" }
            let tenths = (bytes * 10 + 524_288) / 1_048_576
            return "\(tenths / 10).\(tenths % 10) MiB"
        }
        var saved = "$" + (stats["saved_usd"].map { CSV.field($0) } ?? "0")
        if let unknown = stats["saved_unknown"]?.intValue, unknown > 0 { saved += " (+\(unknown) at unknown prices)" }
        let rows = [
            ["enabled", stats["enabled"] == true ? "yes" : "no"],
            ["entries", int("entries")],
            ["memory", "\(megabytes("bytes")) of \(megabytes("max_bytes"))"],
            ["hits", int("hits")],
            ["misses", int("misses")],
            ["hit ratio", ratio],
            ["coalesced joins", int("coalesced_joins")],
            ["stale serves", int("stale_serves")],
            ["in flight", int("in_flight")],
            ["stores", int("stores")],
            ["evictions", int("evictions")],
            ["saved", saved],
        ]
        print(Table.render(rows))
    }
}

struct CacheClear: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clear", abstract: "Remove cached answers (all, or of a namespace and/or a model). Admin only."
    )
    @OptionGroup var global: GlobalOptions

    @Option(help: "Only entries stored with this cache.namespace.")
    var namespace: String?

    @Option(help: "Only entries of this model (MODEL or PROVIDER:MODEL).")
    var model: String?

    func run() throws {
        var params: JSONObject = [:]
        if let namespace = self.namespace { params["namespace"] = .string(namespace) }
        if let model = self.model { params["model"] = .string(model) }
        let result = try self.global.call("admin.cache.clear", params: .object(params))
        print(self.global.json ? result.compactText : "removed \(result["removed"]?.intValue ?? 0) cached answer(s)")
    }
}
