import ArgumentParser
import JunctionClient
import JunctionCore

/// `junctionctl quota`: the budgets that limit the caller, what each period has spent, reserved and left, and when
/// it resets (quota.get).
struct Quota: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The budgets that match you: spent, reserved, left and when each period resets (quota.get)."
    )
    @OptionGroup var global: GlobalOptions

    @Option(help: "The client label your requests carry (budgets may match it).")
    var client: String?

    @Flag(help: "Every budget (administrators only).")
    var all = false

    func run() throws {
        var params: JSONObject = [:]
        if let client = self.client { params["client"] = .string(client) }
        if self.all { params["all"] = true }
        let result = try self.global.call("quota.get", params: .object(params))
        if self.global.json {
            print(result.compactText)
            return
        }
        print(QuotaTable.render(result))
    }
}

/// The human-readable form of `quota.get`: one line per budget and limit.
enum QuotaTable {
    static func render(_ result: JSONValue) -> String {
        let budgets = result["budgets"]?.arrayValue ?? []
        let zone = result["timezone"]?.stringValue ?? "UTC"
        guard !budgets.isEmpty else { return "no budget matches you (periods in \(zone))" }
        var rows = [["BUDGET", "LIMIT", "USED", "RESERVED", "LEFT", "RESETS AT"]]
        for budget in budgets {
            let name = budget["budget"]?.stringValue ?? "?"
            let day = budget["day"] ?? .null
            let month = budget["month"] ?? .null
            if day["limit_usd"] != nil {
                rows.append(Self.usd(name, "daily", day))
            }
            if month["limit_usd"] != nil {
                rows.append(Self.usd(name, "monthly", month))
            }
            if let limit = day["limit_tokens"]?.intValue {
                rows.append([
                    name, "\(limit) tokens/day", "\(day["tokens"]?.intValue ?? 0)",
                    "\(day["reserved_tokens"]?.intValue ?? 0)", "\(day["remaining_tokens"]?.intValue ?? 0)",
                    day["resets_at"]?.stringValue ?? "-",
                ])
            }
            if let limit = day["limit_requests"]?.intValue {
                rows.append([
                    name, "\(limit) requests/day", "\(day["requests"]?.intValue ?? 0)", "-",
                    "\(day["remaining_requests"]?.intValue ?? 0)", day["resets_at"]?.stringValue ?? "-",
                ])
            }
            if let rpm = budget["rpm"] {
                rows.append([
                    name, "\(rpm["limit"]?.intValue ?? 0) requests/min", "\(rpm["in_window"]?.intValue ?? 0)", "-",
                    "\(rpm["remaining"]?.intValue ?? 0)", rpm["resets_at"]?.stringValue ?? "-",
                ])
            }
            if rows.last?.first != name { rows.append([name, "no limit (counts only)", "", "", "", ""]) }
        }
        return "periods in \(zone)\n" + Table.render(rows)
    }

    private static func usd(_ name: String, _ period: String, _ values: JSONValue) -> [String] {
        func dollars(_ key: String) -> String {
            guard let value = values[key]?.doubleValue else { return "-" }
            return "$" + Self.format(value)
        }
        return [
            name, "\(dollars("limit_usd")) \(period)", dollars("spent_usd"), dollars("reserved_usd"),
            dollars("remaining_usd"), values["resets_at"]?.stringValue ?? "-",
        ]
    }

    /// Dollars with cents, and with micro-dollars below a cent.
    static func format(_ value: Double) -> String {
        let micro = Int((value * 1_000_000).rounded())
        let cents = micro / 10_000
        let rest = micro % 10_000
        let whole = "\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100)"
        guard rest != 0 else { return whole }
        return String(format6: micro)
    }
}

extension String {
    /// `1234567` micro-dollars as `1.234567`.
    init(format6 micro: Int) {
        let fraction = String(micro % 1_000_000)
        self = "\(micro / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}
