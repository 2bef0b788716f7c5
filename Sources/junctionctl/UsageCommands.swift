import ArgumentParser
import JunctionClient
import JunctionCore

/// `junctionctl usage`: requests, tokens and cost from the daemon's ledger; `junctionctl usage export`: its rows.
struct UsageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Requests, tokens and cost recorded in the ledger (usage.get); `usage export` writes the rows.",
        subcommands: [UsageSummary.self, UsageExport.self],
        defaultSubcommand: UsageSummary.self
    )
}

struct UsageSummary: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "A table of usage, grouped, with a totals line (the default of `junctionctl usage`)."
    )
    @OptionGroup var global: GlobalOptions

    @Option(help: "From: a duration back from now (24h, 7d) or an RFC 3339 time.")
    var since = "24h"

    @Option(help: "Until (default: now): a duration back from now or an RFC 3339 time.")
    var until: String?

    @Option(help: "Group by, comma-separated: client, uid, provider, model, route, day, hour.")
    var by: String?

    @Option(
        name: .customLong("where"),
        help: "Only rows with KEY=VALUE (client, uid, provider, model, route, day, hour, outcome); repeatable."
    )
    var filters: [String] = []

    func validate() throws {
        for filter in self.filters where !filter.contains("=") {
            throw ValidationError("--where takes KEY=VALUE, e.g. --where provider=openai (got \"\(filter)\")")
        }
    }

    func run() throws {
        let groups = (self.by ?? "").split(separator: ",").map { String($0.trimmingSpaces()) }.filter { !$0.isEmpty }
        var params: JSONObject = ["since": .string(self.since), "group_by": .array(groups.map(JSONValue.string))]
        if let until = self.until { params["until"] = .string(until) }
        if !self.filters.isEmpty {
            var filters = JSONObject()
            for filter in self.filters {
                let parts = filter.split(separator: "=", maxSplits: 1).map(String.init)
                let value = parts.count > 1 ? parts[1] : ""
                filters[parts[0]] = parts[0] == "uid" ? (Int(value).map { .int($0) } ?? .string(value)) : .string(value)
            }
            params["where"] = .object(filters)
        }
        let result = try self.global.call("usage.get", params: .object(params))
        if self.global.json {
            print(result.compactText)
            return
        }
        print(UsageTable.render(result))
    }
}

/// The human-readable form of `usage.get`.
enum UsageTable {
    static func render(_ result: JSONValue) -> String {
        let groups = (result["group_by"]?.arrayValue ?? []).compactMap(\.stringValue)
        var rows = [
            groups.map { $0.uppercased() } + [
                "REQUESTS", "ERRORS", "PROMPT", "COMPLETION", "CACHED", "CACHE WRITE", "REASONING", "COST USD",
            ]
        ]
        // Without groups the one row is the totals.
        for row in groups.isEmpty ? [] : result["rows"]?.arrayValue ?? [] {
            rows.append(groups.map { Self.text(row[$0]) } + Self.sums(row))
        }
        let totals = result["totals"] ?? .null
        let label = groups.isEmpty ? [] : ["TOTAL"] + Array(repeating: "", count: groups.count - 1)
        rows.append(label + Self.sums(totals))
        let since = result["since"]?.stringValue ?? "?"
        let until = result["until"]?.stringValue ?? "?"
        var lines = ["usage from \(since) to \(until)", Table.render(rows)]
        if let unknown = totals["cost_unknown"]?.intValue, unknown > 0 {
            lines.append("cost unknown for \(unknown) request\(unknown == 1 ? "" : "s") (no price for the model)")
        }
        return lines.joined(separator: "\n")
    }

    private static func sums(_ row: JSONValue) -> [String] {
        let counts = [
            "requests", "errors", "prompt_tokens", "completion_tokens", "cached_tokens", "cache_write_tokens",
            "reasoning_tokens",
        ].map { Self.text(row[$0]) }
        var cost = row["cost_usd"].map(Self.text) ?? "-"
        let unknown = row["cost_unknown"]?.intValue ?? 0
        if unknown > 0 {
            cost = unknown == row["requests"]?.intValue ? "unknown" : cost + " (+\(unknown) unknown)"
        }
        return counts + [cost]
    }

    private static func text(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: "-"
        case .string(let text)?: text
        case .number(let text)?: text
        case let other?: other.compactText
        }
    }
}

struct UsageExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every ledger row of the window to standard output (usage.export, page by page)."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case csv, jsonl
    }

    @OptionGroup var global: GlobalOptions

    @Option(help: "From: a duration back from now (24h, 7d) or an RFC 3339 time.")
    var since = "24h"

    @Option(help: "Until (default: now): a duration back from now or an RFC 3339 time.")
    var until: String?

    @Option(help: "csv (a header, then a line per request) or jsonl (a JSON object per request, with its attempts).")
    var format: Format = .csv

    @Option(help: "Rows per request to the daemon.")
    var pageSize = 1_000

    func validate() throws {
        guard (1...10_000).contains(self.pageSize) else { throw ValidationError("--page-size must be 1 to 10000") }
    }

    func run() throws {
        var params: JSONObject = ["since": .string(self.since), "limit": .int(self.pageSize)]
        if let until = self.until { params["until"] = .string(until) }
        if self.format == .csv { writeStdout(CSV.line(UsageExport.columns) + "\n") }
        while true {
            let page = try self.global.call("usage.export", params: .object(params))
            var text = ""
            for row in page["rows"]?.arrayValue ?? [] {
                switch self.format {
                case .jsonl: text += row.compactText + "\n"
                case .csv: text += CSV.line(UsageExport.columns.map { CSV.field(row[$0]) }) + "\n"
                }
            }
            writeStdout(text)
            guard let next = page["next"]?.stringValue else { return }
            // The window as the daemon resolved it for the first page, so that "7d" does not move between pages.
            params["since"] = page["since"]
            params["until"] = page["until"]
            params["after"] = .string(next)
        }
    }

    /// The request row's fields in `usage.export`, in CSV order (attempts are in the JSONL form only).
    static let columns = [
        "request_id", "time", "time_ms", "uid", "gid", "pid", "client", "route", "requested_model", "provider",
        "model", "attempts", "outcome", "error_code", "finish_reason", "stream", "prompt_tokens", "completion_tokens",
        "cached_tokens", "cache_write_tokens", "reasoning_tokens", "cost_usd", "price_version", "latency_ms",
        "ttft_ms", "prompt_sha256", "cache", "saved_usd",
    ]
}

/// RFC 4180 CSV: a field is quoted when it holds a comma, a quote or a line break, with its quotes doubled.
enum CSV {
    static func line(_ fields: [String]) -> String {
        fields.map(Self.quoted).joined(separator: ",")
    }

    static func quoted(_ field: String) -> String {
        // Bytes, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n".
        guard field.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return field }
        return "\"" + field.replacingAll("\"", with: "\"\"") + "\""
    }

    /// A JSON value as a CSV field: null is empty, strings and numbers as they are.
    static func field(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: ""
        case .string(let text)?: text
        case .number(let text)?: text
        case .bool(let flag)?: flag ? "true" : "false"
        case let other?: other.compactText
        }
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self { if character == target { result += replacement } else { result.append(character) } }
        return result
    }
}
