import JunctionCore

/// One frame of `junctionctl top`, as lines of at most `view.columns` visible characters: a pure function of a
/// `stats.snapshot` result and the view, so that tests check it without a terminal.
///
/// ```
/// junctiond 0.1.0  up 1h02m  conns 2  in flight 1  req/s 3.2
/// cost today $1.23  requests 1234  errors 12  cache hit 71%  ledger ok  rating 0.80 (3)
/// PROVIDER/MODEL   STATUS     BREAKER   P50   P95  REQ/MIN  TOK/MIN  ERR%   COST
/// ```
enum TopFrame {
    /// A table column: its header, width, whether it is right-aligned, and its rank when the terminal is too narrow
    /// for all (lower ranks stay longest).
    struct Column {
        var title: String
        var width: Int
        var right: Bool
        var rank: Int
    }

    static let columns: [Column] = [
        Column(title: "STATUS", width: 9, right: false, rank: 1),
        Column(title: "BREAKER", width: 10, right: false, rank: 6),
        Column(title: "P50", width: 6, right: true, rank: 7),
        Column(title: "P95", width: 6, right: true, rank: 2),
        Column(title: "REQ/MIN", width: 9, right: true, rank: 4),
        Column(title: "TOK/MIN", width: 11, right: true, rank: 8),
        Column(title: "ERR%", width: 6, right: true, rank: 3),
        Column(title: "COST", width: 9, right: true, rank: 5),
        Column(title: "TOTAL", width: 7, right: true, rank: 9),
    ]
    /// The name column never gets narrower than this; what is left over widens it.
    static let minimumNameWidth = 14
    static let footer = "q quit  s sort  p pause  ? help"

    static func render(_ snapshot: JSONValue?, view: TopView) -> [String] {
        let width = max(20, view.columns)
        var lines: [String] = []
        if let snapshot {
            lines += Self.header(snapshot, width: width, view: view)
        } else {
            lines.append(Self.fit("junctionctl top", width))
        }
        lines.append(Self.fit(Self.statusLine(view), width, style: view.disconnected == nil ? nil : "1;31", view: view))
        if view.help {
            lines += Self.help.map { Self.fit($0, width) }
        } else if let snapshot {
            lines += Self.table(
                snapshot, width: width, view: view, room: view.unbounded ? nil : view.rows - lines.count - 1)
        }
        if !view.unbounded {
            // The footer sits on the last line; short frames are padded down to it.
            let height = max(3, view.rows)
            if lines.count > height - 1 { lines.removeLast(lines.count - (height - 1)) }
            while lines.count < height - 1 { lines.append("") }
            lines.append(Self.fit(Self.footer, width, style: "7", view: view))
        }
        return lines
    }

    static let help = [
        "",
        "  q        quit (also Ctrl-C)",
        "  s        sort by the next column: name, requests, latency, errors, cost",
        "  p        pause or resume the refresh",
        "  ?        show or hide this help",
        "",
        "  Rows: one per provider, then its models. REQ/MIN and TOK/MIN are the rate windows",
        "  against their limits; P50/P95 and ERR% cover the last 5 minutes; COST is today's",
        "  (since local midnight of the accounting time zone); TOTAL counts attempts since start.",
    ]

    // MARK: - Header

    private static func header(_ snapshot: JSONValue, width: Int, view: TopView) -> [String] {
        let version = snapshot["version"]?.stringValue ?? "?"
        let uptime = formatUptime(.milliseconds(snapshot["uptime_ms"]?.intValue ?? 0))
        let first =
            "junctiond \(version)  up \(uptime)  conns \(Self.int(snapshot["connections"]))  "
            + "in flight \(Self.int(snapshot["inflight_requests"]))  "
            + "req/s \(Self.decimal(snapshot["requests_per_second"]))"
        let cache = snapshot["cache"]
        let hit =
            cache?["enabled"] == false
            ? "off" : cache?["hit_ratio"]?.doubleValue.map { "\(Int(($0 * 100).rounded()))%" } ?? "-"
        let ledger = snapshot["ledger"]?["state"]?.stringValue ?? "?"
        var second =
            "cost today \(Self.usd(snapshot["cost_today_usd"]))  "
            + "requests \(Self.int(snapshot["requests_total"]))  errors \(Self.int(snapshot["errors_total"]))  "
            + "cache hit \(hit)  ledger \(ledger)"
        if let mean = snapshot["feedback"]?["mean_score"]?.doubleValue {
            second += "  rating \(Self.fixed(mean, places: 2)) (\(Self.int(snapshot["feedback"]?["count"])))"
        }
        let ledgerStyle = ["ok", "disabled"].contains(ledger) ? nil : "33"
        return [
            Self.fit(first, width, style: "1", view: view), Self.fit(second, width, style: ledgerStyle, view: view),
        ]
    }

    private static func statusLine(_ view: TopView) -> String {
        var parts = ["sort: \(view.sort.rawValue)"]
        if view.paused { parts.append("PAUSED") }
        if let reason = view.disconnected { parts.append("disconnected, retrying (\(reason))") }
        return parts.joined(separator: "  ")
    }

    // MARK: - Table

    /// The columns that fit beside a name column of at least `minimumNameWidth`, in display order.
    static func visibleColumns(width: Int) -> [Column] {
        var chosen: [Column] = []
        var used = Self.minimumNameWidth
        for column in Self.columns.sorted(by: { $0.rank < $1.rank }) where used + 1 + column.width <= width {
            chosen.append(column)
            used += 1 + column.width
        }
        return Self.columns.filter { column in chosen.contains { $0.title == column.title } }
    }

    private static func table(_ snapshot: JSONValue, width: Int, view: TopView, room: Int?) -> [String] {
        let columns = Self.visibleColumns(width: width)
        let nameWidth = width - columns.reduce(0) { $0 + 1 + $1.width }
        var lines = [
            Self.fit(
                Self.row(["PROVIDER/MODEL"] + columns.map(\.title), columns, nameWidth), width, style: "7", view: view)
        ]
        var body: [String] = []
        let providers = Self.sorted(snapshot["providers"]?.arrayValue ?? [], by: view.sort)
        if providers.isEmpty { body.append("no providers configured") }
        for provider in providers {
            let name = provider["provider"]?.stringValue ?? "?"
            let status = provider["status"]?.stringValue ?? "?"
            body.append(
                Self.styled(
                    Self.row(Self.cells(provider, name: name, limits: true, columns: columns), columns, nameWidth),
                    Self.statusStyle(status), view: view
                )
            )
            for target in Self.sorted(provider["targets"]?.arrayValue ?? [], by: view.sort) {
                let model = "  " + (target["model"]?.stringValue ?? "?")
                let status = target["status"]?.stringValue ?? ""
                body.append(
                    Self.styled(
                        Self.row(Self.cells(target, name: model, limits: false, columns: columns), columns, nameWidth),
                        status == "UNHEALTHY" ? "31" : nil, view: view
                    )
                )
            }
        }
        if let room, body.count > max(0, room - 1) {
            let shown = max(0, room - 2)
            let hidden = body.count - shown
            body = Array(body.prefix(shown)) + ["… \(hidden) more row\(hidden == 1 ? "" : "s") (enlarge the window)"]
        }
        lines += body
        return lines
    }

    /// A provider's or target's cells, for the visible columns.
    private static func cells(_ entry: JSONValue, name: String, limits: Bool, columns: [Column]) -> [String] {
        var cells = [name]
        for column in columns {
            switch column.title {
            case "STATUS": cells.append(entry["status"]?.stringValue ?? "-")
            case "BREAKER": cells.append(Self.breaker(entry["breaker"]))
            case "P50": cells.append(Self.milliseconds(entry["latency_ms"]?["p50"]))
            case "P95": cells.append(Self.milliseconds(entry["latency_ms"]?["p95"]))
            case "REQ/MIN": cells.append(Self.against(entry["requests_per_minute"], limits ? entry["rpm_limit"] : nil))
            case "TOK/MIN": cells.append(Self.against(entry["tokens_per_minute"], limits ? entry["tpm_limit"] : nil))
            case "ERR%": cells.append(entry["error_rate"]?.doubleValue.map { Self.fixed($0 * 100, places: 1) } ?? "-")
            case "COST": cells.append(Self.usd(entry["cost_today_usd"]))
            case "TOTAL": cells.append(Self.compact(entry["requests_total"]?.intValue ?? 0))
            default: cells.append("")
            }
        }
        return cells
    }

    private static func row(_ cells: [String], _ columns: [Column], _ nameWidth: Int) -> String {
        var line = Self.pad(Self.truncate(cells[0], nameWidth), nameWidth, right: false)
        for (column, cell) in zip(columns, cells.dropFirst()) {
            line += " " + Self.pad(Self.truncate(cell, column.width), column.width, right: column.right)
        }
        return line
    }

    /// Providers (and targets) in the view's order; `name` keeps the snapshot's (configuration) order for providers.
    static func sorted(_ entries: [JSONValue], by sort: TopSort) -> [JSONValue] {
        func key(_ entry: JSONValue) -> Double {
            switch sort {
            case .name: 0
            case .requests: entry["requests_per_minute"]?.doubleValue ?? entry["requests_total"]?.doubleValue ?? 0
            case .latency: entry["latency_ms"]?["p95"]?.doubleValue ?? -1
            case .errors: entry["error_rate"]?.doubleValue ?? -1
            case .cost: entry["cost_today_usd"]?.doubleValue ?? 0
            }
        }
        let indexed = Array(entries.enumerated())
        if sort == .name, entries.first?["model"] != nil {
            return indexed.sorted {
                ($0.element["model"]?.stringValue ?? "") < ($1.element["model"]?.stringValue ?? "")
            }
            .map(\.element)
        }
        // Highest first; ties keep their order (a stable sort on the position).
        return indexed.sorted { lhs, rhs in
            let (left, right) = (key(lhs.element), key(rhs.element))
            return left != right ? left > right : lhs.offset < rhs.offset
        }.map(\.element)
    }

    // MARK: - Cells

    /// `closed`, `open 1m05s`, `half_open 12s`.
    static func breaker(_ breaker: JSONValue?) -> String {
        let state = breaker?["state"]?.stringValue ?? "-"
        guard let open = breaker?["open_for_ms"]?.intValue else { return state == "half_open" ? "half-open" : state }
        return (state == "half_open" ? "half " : "open ") + Self.seconds(open)
    }

    /// `95s` → `1m35s`.
    static func seconds(_ milliseconds: Int) -> String {
        let seconds = milliseconds / 1_000
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3_600 { return "\(seconds / 60)m\(String(seconds % 60).leftPadded(to: 2))s" }
        return "\(seconds / 3_600)h\(String(seconds % 3_600 / 60).leftPadded(to: 2))m"
    }

    /// `12/500` against a limit, `12` without one; `-` unknown.
    static func against(_ value: JSONValue?, _ limit: JSONValue?) -> String {
        guard let used = value?.intValue else { return "-" }
        guard let limit = limit?.intValue else { return Self.compact(used) }
        return "\(Self.compact(used))/\(Self.compact(limit))"
    }

    /// `950`, `5.4k`, `12k`, `1.2M`.
    static func compact(_ value: Int) -> String {
        switch value {
        case ..<1_000: return "\(value)"
        case ..<10_000: return Self.fixed(Double(value) / 1_000, places: 1) + "k"
        case ..<1_000_000: return "\(value / 1_000)k"
        default: return Self.fixed(Double(value) / 1_000_000, places: 1) + "M"
        }
    }

    private static func milliseconds(_ value: JSONValue?) -> String {
        value?.intValue.map { Self.compact($0) } ?? "-"
    }

    /// `$1.23`, `$0.0042` (four places below a cent, six below a hundredth of one), `$0`, `-`.
    static func usd(_ value: JSONValue?) -> String {
        guard let amount = value?.doubleValue else { return "-" }
        if amount == 0 { return "$0" }
        return "$" + Self.fixed(amount, places: abs(amount) < 0.0001 ? 6 : abs(amount) < 0.01 ? 4 : 2)
    }

    private static func decimal(_ value: JSONValue?) -> String {
        value?.doubleValue.map { Self.fixed($0, places: 1) } ?? "-"
    }

    private static func int(_ value: JSONValue?) -> String {
        value?.intValue.map { "\($0)" } ?? "-"
    }

    /// A fixed number of decimals without Foundation's formatter.
    static func fixed(_ value: Double, places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int((abs(value) * scale).rounded())
        let sign = value < 0 && scaled > 0 ? "-" : ""
        guard places > 0 else { return sign + "\(scaled)" }
        let whole = scaled / Int(scale)
        let fraction = String(scaled % Int(scale)).leftPadded(to: places)
        return "\(sign)\(whole).\(fraction)"
    }

    // MARK: - Text

    private static func statusStyle(_ status: String) -> String? {
        switch status {
        case "HEALTHY": "32"
        case "DEGRADED", "RATE_LIMITED", "SLOW": "33"
        case "UNHEALTHY": "31"
        case "DISABLED": "2"
        default: nil
        }
    }

    static func truncate(_ text: String, _ width: Int) -> String {
        guard text.count > width else { return text }
        guard width > 1 else { return String(text.prefix(width)) }
        return String(text.prefix(width - 1)) + "…"
    }

    private static func pad(_ text: String, _ width: Int, right: Bool) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }

    /// Cut to `width`, then wrapped in the SGR `style` when colours are on.
    private static func fit(_ text: String, _ width: Int, style: String? = nil, view: TopView? = nil) -> String {
        Self.styled(Self.truncate(text, width), style, view: view)
    }

    private static func styled(_ text: String, _ style: String?, view: TopView?) -> String {
        guard let style, view?.color == true else { return text }
        return "\u{1B}[\(style)m" + text + "\u{1B}[0m"
    }
}
