import Foundation
import JunctionCore
import Testing

@testable import JunctionDaemon

/// contrib/prometheus/alerts.yml and contrib/grafana/junction-dashboard.json: valid, and querying only what the
/// daemon exports.
@Suite struct ContribMetricsTests {
    static let alertsPath = packageRoot() + "/contrib/prometheus/alerts.yml"
    static let dashboardPath = packageRoot() + "/contrib/grafana/junction-dashboard.json"

    /// Every PromQL expression of the dashboard (panel targets and template queries) and of the alert rules.
    static func expressions() throws -> [String] {
        var expressions: [String] = []
        let dashboard = try JSONValue.parse(String(contentsOfFile: Self.dashboardPath, encoding: .utf8))
        for panel in dashboard["panels"]?.arrayValue ?? [] {
            for target in panel["targets"]?.arrayValue ?? [] {
                if let expr = target["expr"]?.stringValue { expressions.append(expr) }
            }
        }
        for variable in dashboard["templating"]?["list"]?.arrayValue ?? [] {
            if let query = variable["query"]?["query"]?.stringValue { expressions.append(query) }
        }
        // The rules' `expr:` values, one line or a `|` block (YAML as written in the file: two-space indents).
        let lines = try String(contentsOfFile: Self.alertsPath, encoding: .utf8).components(separatedBy: "\n")
        var index = 0
        while index < lines.count {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            index += 1
            guard line.hasPrefix("expr:") else { continue }
            let inline = line.dropFirst(5).trimmingCharacters(in: .whitespaces)
            guard inline == "|" else {
                expressions.append(inline)
                continue
            }
            var block: [String] = []
            while index < lines.count, lines[index].hasPrefix("            ") {
                block.append(lines[index])
                index += 1
            }
            expressions.append(block.joined(separator: "\n"))
        }
        return expressions
    }

    /// The metric names an expression selects: identifiers of our families (`junction_`, `process_`) that are not
    /// label names or functions; histogram series (`_bucket`, `_sum`, `_count`) name their family.
    static func metricNames(in expression: String) -> Set<String> {
        let pattern = try! NSRegularExpression(pattern: #"\b(junction|process)_[a-z_]+\b"#)
        let range = NSRange(expression.startIndex..., in: expression)
        var names: Set<String> = []
        for match in pattern.matches(in: expression, range: range) {
            let name = String(expression[Range(match.range, in: expression)!])
            names.insert(Self.family(of: name))
        }
        return names
    }

    static func family(of name: String) -> String {
        let histograms = Set(MetricsCatalog.all.filter { $0.kind == .histogram }.map(\.name))
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if histograms.contains(base) { return base }
        }
        return name
    }

    static func queriedNames() throws -> Set<String> {
        try Self.expressions().reduce(into: Set<String>()) { $0.formUnion(Self.metricNames(in: $1)) }
    }

    @Test func everyQueriedMetricIsOneTheDaemonExports() throws {
        let expressions = try Self.expressions()
        #expect(expressions.count >= 30)  // the parser found the dashboard's and the rules' queries
        let queried = try Self.queriedNames()
        let exported = Set(MetricsCatalog.all.map(\.name))
        #expect(queried.subtracting(exported).isEmpty, "not exported: \(queried.subtracting(exported).sorted())")
        // The dashboard covers what the issue asks of it.
        for name in [
            "junction_requests_total", "junction_request_duration_seconds", "junction_time_to_first_token_seconds",
            "junction_tokens_total", "junction_cost_usd_total", "junction_breaker_state", "junction_provider_status",
            "junction_cache_requests_total", "junction_budget_used_ratio",
        ] {
            #expect(queried.contains(name), "\(name) is not on the dashboard")
        }
        // The check itself can fail: a misspelt name is caught.
        #expect(Self.metricNames(in: "rate(junction_request_total[5m])") == ["junction_request_total"])
        #expect(
            Self.metricNames(in: "histogram_quantile(0.5, junction_request_duration_seconds_bucket)") == [
                "junction_request_duration_seconds"
            ])
    }

    @Test func theDashboardIsGrafanaJSONWithUniquePanelIDs() throws {
        let dashboard = try JSONValue.parse(String(contentsOfFile: Self.dashboardPath, encoding: .utf8))
        #expect(dashboard["title"] == "Junction")
        let panels = dashboard["panels"]?.arrayValue ?? []
        let ids = panels.compactMap { $0["id"]?.intValue }
        #expect(ids.count == panels.count && Set(ids).count == ids.count)
        for panel in panels where panel["type"] != "row" {
            #expect(panel["gridPos"]?["w"]?.intValue != nil, "\(panel["title"]?.stringValue ?? "?")")
            #expect(panel["targets"]?.arrayValue?.isEmpty == false, "\(panel["title"]?.stringValue ?? "?")")
        }
    }

    @Test func promtoolAcceptsTheAlertRules() throws {
        guard let promtool = Promtool.path else {
            print("skipped: promtool not found (Debian package prometheus; make deps installs it)")
            return
        }
        let result = try runCommand(
            promtool, ["check", "rules", Self.alertsPath], environment: ["PATH": "/usr/bin:/bin"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("SUCCESS: 4 rules found"), "\(result.stdout)")
    }
}
