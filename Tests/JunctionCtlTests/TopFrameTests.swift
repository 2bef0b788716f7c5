import JunctionCore
import Testing

@testable import junctionctl

/// `junctionctl top`'s frame: a pure function of a snapshot and the view, checked line by line.
@Suite("top frame")
struct TopFrameTests {
    /// A snapshot with two providers: openai healthy and busy, anthropic with an open breaker.
    static let snapshot: JSONValue = [
        "version": "0.1.0", "uptime_ms": 3_723_000, "connections": 2, "inflight_requests": 1,
        "requests_total": 1234, "requests_per_second": 3.25, "errors_total": 12, "cost_today_usd": 1.234,
        "cache": ["enabled": true, "hit_ratio": 0.714], "ledger": ["state": "ok"],
        "feedback": ["count": 3, "mean_score": 0.8],
        "providers": [
            [
                "provider": "openai", "status": "HEALTHY", "breaker": ["state": "closed", "open_for_ms": .null],
                "latency_ms": ["p50": 310, "p95": 620], "error_rate": 0.0, "requests_per_minute": 12,
                "rpm_limit": 500, "tokens_per_minute": 5400, "tpm_limit": .null, "requests_total": 480,
                "cost_today_usd": 0.5,
                "targets": [
                    [
                        "model": "gpt-4o-mini", "status": "HEALTHY",
                        "breaker": ["state": "closed", "open_for_ms": .null],
                        "latency_ms": ["p50": 300, "p95": 600], "error_rate": 0.0, "requests_per_minute": 10,
                        "requests_total": 400, "cost_today_usd": 0.4,
                    ]
                ],
            ],
            [
                "provider": "anthropic", "status": "UNHEALTHY",
                "breaker": ["state": "open", "open_for_ms": 65_000],
                "latency_ms": ["p50": .null, "p95": .null], "error_rate": 0.5, "requests_per_minute": 40,
                "rpm_limit": .null, "tokens_per_minute": 0, "tpm_limit": 1000, "requests_total": 40,
                "cost_today_usd": 2.0, "targets": [],
            ],
        ],
    ]

    private func view(_ columns: Int = 80, _ rows: Int = 24, sort: TopSort = .name) -> TopView {
        TopView(columns: columns, rows: rows, sort: sort)
    }

    @Test func anEightyByTwentyFourFrameHasTheHeaderTheRowsAndTheFooter() {
        let lines = TopFrame.render(Self.snapshot, view: self.view())
        #expect(lines.count == 24)
        #expect(lines.allSatisfy { $0.count <= 80 })
        #expect(lines[0] == "junctiond 0.1.0  up 1h2m  conns 2  in flight 1  req/s 3.3")
        #expect(lines[1].hasPrefix("cost today $1.23  requests 1234  errors 12  cache hit 71%  ledger ok"))
        #expect(lines[2] == "sort: name")
        #expect(lines[3].hasPrefix("PROVIDER/MODEL"))
        #expect(lines[4].hasPrefix("openai "))
        #expect(lines[4].contains("HEALTHY"))
        #expect(lines[4].contains("12/500"))
        #expect(lines[5].hasPrefix("  gpt-4o-mini"))
        #expect(lines[6].contains("open 1m05s"))
        #expect(lines[6].contains("50.0"))
        #expect(lines.last == TopFrame.footer)
        #expect(!lines.joined().contains("\u{1B}"))  // no colours unless asked
    }

    @Test func sortingCyclesAndOrdersProvidersByTheColumn() {
        #expect(TopSort.name.next == .requests)
        #expect(TopSort.cost.next == .name)
        let byRequests = TopFrame.render(Self.snapshot, view: self.view(sort: .requests))
        #expect(byRequests[2] == "sort: requests")
        #expect(byRequests[4].hasPrefix("anthropic"))  // 40 req/min before 12
        let byLatency = TopFrame.render(Self.snapshot, view: self.view(sort: .latency))
        #expect(byLatency[4].hasPrefix("openai"))  // a known p95 before none
    }

    @Test func narrowTerminalsDropColumnsWideOnesShowThemAll() {
        let narrow = TopFrame.render(Self.snapshot, view: self.view(40, 24))
        #expect(narrow.allSatisfy { $0.count <= 40 })
        #expect(narrow[3].contains("STATUS"))
        #expect(!narrow[3].contains("TOK/MIN"))
        let wide = TopFrame.render(Self.snapshot, view: self.view(120, 30))
        #expect(wide.count == 30)
        for title in TopFrame.columns.map(\.title) { #expect(wide[3].contains(title), "\(title)") }
        #expect(wide[4].contains("5.4k"))
        #expect(wide[6].contains("0/1.0k"))
    }

    @Test func aShortTerminalSaysHowManyRowsAreHidden() {
        let lines = TopFrame.render(Self.snapshot, view: self.view(80, 7))
        #expect(lines.count == 7)
        #expect(lines[4] == "openai " + lines[4].dropFirst(7))
        #expect(lines[5] == "… 2 more rows (enlarge the window)")
        #expect(lines[6] == TopFrame.footer)
    }

    @Test func helpPausedDisconnectedAndColours() {
        var view = self.view()
        view.help = true
        view.paused = true
        view.disconnected = "cannot connect"
        let lines = TopFrame.render(Self.snapshot, view: view)
        #expect(lines[2] == "sort: name  PAUSED  disconnected, retrying (cannot connect)")
        #expect(lines.contains { $0.contains("s        sort by the next column") })
        #expect(!lines.contains { $0.hasPrefix("PROVIDER/MODEL") })
        let never = TopFrame.render(nil, view: TopView(columns: 80, rows: 24, disconnected: "no daemon"))
        #expect(never[0] == "junctionctl top")
        #expect(never[1].contains("disconnected, retrying"))
        view.help = false
        view.color = true
        let coloured = TopFrame.render(Self.snapshot, view: view)
        #expect(coloured[4].hasPrefix("\u{1B}[32m"))  // healthy in green
        #expect(coloured[6].hasPrefix("\u{1B}[31m"))  // unhealthy in red
    }

    @Test func unboundedFramesHaveEveryRowAndNoPadding() {
        var view = self.view(80, 5)
        view.unbounded = true
        let lines = TopFrame.render(Self.snapshot, view: view)
        #expect(lines.count == 7)
        #expect(lines.last?.hasPrefix("anthropic") == true)
    }

    @Test func cellsFormatNumbersCompactly() {
        #expect(TopFrame.compact(950) == "950")
        #expect(TopFrame.compact(5_400) == "5.4k")
        #expect(TopFrame.compact(12_345) == "12k")
        #expect(TopFrame.compact(1_250_000) == "1.3M")
        #expect(TopFrame.usd(.double(0.000024)) == "$0.000024")
        #expect(TopFrame.usd(.double(0.0042)) == "$0.0042")
        #expect(TopFrame.usd(.int(0)) == "$0")
        #expect(TopFrame.usd(nil) == "-")
        #expect(TopFrame.breaker(["state": "half_open", "open_for_ms": 7_200_000]) == "half 2h00m")
        #expect(TopFrame.breaker(["state": "half_open", "open_for_ms": .null]) == "half-open")
        #expect(TopFrame.fixed(-0.04, places: 1) == "0.0")
        #expect(TopFrame.truncate("claude-3-5-haiku-latest", 10) == "claude-3-…")
    }
}
