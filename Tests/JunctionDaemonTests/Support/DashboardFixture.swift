import JunctionCore

/// A `stats.snapshot` result that follows the contract (two providers, 15 minutes of series), for the
/// dashboard's tests.
enum DashboardFixture {
    static let points = 90

    static func series(_ base: Double, phase: Double, nullFirst: Int = 0) -> JSONValue {
        .array(
            (0..<self.points).map { index in
                if index < nullFirst { return .null }
                let value = base * (1 + 0.4 * (Double(index) / 7 + phase).sinApproximation)
                return .double((value * 10_000).rounded() / 10_000)
            }
        )
    }

    static func provider(
        _ name: String, status: String, reason: String, requests: Int, p95: Int, errorRate: Double,
        targets: [JSONValue]
    ) -> JSONValue {
        [
            "provider": .string(name), "kind": .string(name), "enabled": true, "status": .string(status),
            "reason": .string(reason), "breaker": ["state": "closed", "open_for_ms": nil],
            "latency_ms": ["p50": .int(p95 / 2), "p95": .int(p95)], "error_rate": .double(errorRate),
            "requests_per_minute": 12, "rpm_limit": 500, "tokens_per_minute": 5400, "tpm_limit": nil,
            "requests_total": .int(requests), "cost_today_usd": 0.5, "feedback": ["count": 2, "mean_score": 0.75],
            "targets": .array(targets),
        ]
    }

    static func target(_ model: String, requests: Int, breaker: String = "closed", openForMs: Int? = nil) -> JSONValue {
        [
            "model": .string(model),
            "breaker": ["state": .string(breaker), "open_for_ms": openForMs.map { .int($0) } ?? nil],
            "latency_ms": ["p50": 300, "p95": 600], "error_rate": 0.0, "requests_total": .int(requests),
            "cost_today_usd": 0.4, "feedback": ["count": 2, "mean_score": 0.75],
        ]
    }

    /// Two providers by default; `names` replaces their names (a hostile one, say).
    static func stats(names: [String] = ["openai", "anthropic"], at now: Int = 1_764_670_000_000) -> JSONValue {
        let first = names[0]
        let second = names.count > 1 ? names[1] : "anthropic"
        let providers: [JSONValue] = [
            self.provider(
                first, status: "HEALTHY", reason: "ok", requests: 480, p95: 620, errorRate: 0,
                targets: [self.target("gpt-4o-mini", requests: 400)]
            ),
            self.provider(
                second, status: "UNHEALTHY", reason: "every model with data is unhealthy", requests: 754, p95: 2300,
                errorRate: 0.32,
                targets: [self.target("claude-sonnet-4", requests: 754, breaker: "open", openForMs: 73_000)]
            ),
        ]
        let series: JSONValue = [
            "interval_ms": 10_000, "points": .int(self.points), "start_ms": .int(now - 900_000),
            "providers": .object(
                JSONObject([
                    (first, JSONValue.object([
                        "requests_per_second": self.series(2, phase: 0), "p95_latency_ms": self.series(620, phase: 1),
                        "error_rate": self.series(0.01, phase: 2), "cost_usd": self.series(0.001, phase: 3),
                    ])),
                    (second, JSONValue.object([
                        "requests_per_second": self.series(1, phase: 2),
                        "p95_latency_ms": self.series(2300, phase: 0, nullFirst: 20),
                        "error_rate": self.series(0.3, phase: 1), "cost_usd": self.series(0.002, phase: 1),
                    ])),
                ])
            ),
        ]
        return [
            "at_ms": .int(now), "version": "0.1.0", "uptime_ms": 4_380_000, "connections": 2, "inflight_requests": 1,
            "requests_total": 1234, "requests_per_second": 3.2, "errors_total": 12, "cost_today_usd": 1.23,
            "cache": [
                "enabled": true, "hits": 30, "misses": 12, "hit_ratio": 0.71, "stale_serves": 0, "coalesced_joins": 4,
                "saved_usd": 0.0123,
            ],
            "ledger": ["enabled": true, "state": "ok", "queued": 3, "written_rows": 18204, "dropped_rows": 0],
            "budgets": [
                [
                    "name": "team-a", "period": "day", "used_usd": 4.2, "limit_usd": 10.0, "used_ratio": 0.42,
                    "state": "ok",
                ]
            ],
            "feedback": ["count": 3, "mean_score": 0.8],
            "providers": .array(providers),
            "series": series,
            "failovers": [
                [
                    "at_ms": .int(now - 10_000), "request_id": "r-12", "from": .string("\(second):claude-sonnet-4"),
                    "to": .string("\(first):gpt-4o"), "reason": "rate_limited",
                ]
            ],
        ]
    }
}

extension Double {
    /// A smooth wave for fixture series (no Foundation needed): Bhaskara's approximation of sine.
    fileprivate var sinApproximation: Double {
        let turn = 2 * Double.pi
        var x = self.truncatingRemainder(dividingBy: turn)
        if x < 0 { x += turn }
        let sign: Double = x > .pi ? -1 : 1
        if x > .pi { x -= .pi }
        return sign * 16 * x * (.pi - x) / (5 * .pi * .pi - 4 * x * (.pi - x))
    }
}
