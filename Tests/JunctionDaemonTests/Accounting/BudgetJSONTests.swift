import JunctionCore
import JunctionRPC
import Testing

@testable import JunctionDaemon

@Suite("Budgets as JSON")
struct BudgetJSONTests {
    private func ms(_ text: String) -> Int64 { Int64((RFC3339.parse(text)! * 1000).rounded()) }

    private let caller = BudgetCaller(uid: 1000, gid: 100)

    private func estimate(_ microUSD: MicroUSD?, tokens: Int = 1) -> BudgetEstimate {
        BudgetEstimate(microUSD: microUSD, tokens: tokens)
    }

    @Test func aUSDRefusalIsA32003WithTheIssuesDataFields() throws {
        let calendar = try #require(ZonedPeriodCalendar(identifier: "America/New_York"))
        var book = BudgetBook(
            rules: [BudgetRule(name: "team-a", match: .uid(1000), dailyUSD: 5_000_000)], calendar: calendar
        )
        let now = self.ms("2026-12-02T12:00:00-05:00")
        let first = try #require(book.admit(self.caller, estimate: self.estimate(4_980_000), at: now).reservation)
        _ = book.settle(first, actual: BudgetSpend(microUSD: 4_980_000, tokens: 1), at: now)
        let refusal = try #require(book.admit(self.caller, estimate: self.estimate(30_000), at: now).refusal)
        let error = refusal.rpcError(calendar: calendar)
        #expect(error.code == -32003)
        #expect(error.message.contains("resets at 2026-12-03T00:00:00-05:00"))
        #expect(
            error.data?.compactText
                == #"{"budget":"team-a","period":"day","kind":"usd","limit_usd":5,"spent_usd":4.98,"reserved_usd":0,"#
                + #""requested_usd":0.03,"resets_at":"2026-12-03T00:00:00-05:00"}"#
        )
    }

    @Test func countRefusalsCarryCountsAndUnknownPricesNoReset() throws {
        var book = BudgetBook(rules: [BudgetRule(name: "b", dailyUSD: 1_000_000, rpm: 1)])
        let now = self.ms("2026-12-02T12:00:00Z")
        _ = try #require(book.admit(self.caller, estimate: self.estimate(1), at: now).reservation)
        let rpm = try #require(book.admit(self.caller, estimate: self.estimate(1), at: now).refusal)
        #expect(
            rpm.rpcError(calendar: FixedOffsetCalendar.utc).data?.compactText
                == #"{"budget":"b","period":"minute","kind":"rpm","limit_requests":1,"admitted_requests":1,"#
                + #""resets_at":"2026-12-02T12:01:00Z"}"#
        )
        let unknown = try #require(
            book.admit(self.caller, estimate: BudgetEstimate(microUSD: nil, tokens: 1), at: now + 60_000).refusal
        )
        #expect(unknown.rpcError(calendar: FixedOffsetCalendar.utc).data?["resets_at"] == .null)
        #expect(unknown.rpcError(calendar: FixedOffsetCalendar.utc).data?["kind"] == "unknown_price")
    }

    @Test func theStatusShowsWhatIsLeftAndWhenItResets() throws {
        var book = BudgetBook(
            rules: [
                BudgetRule(name: "team-a", match: .uid(1000), dailyUSD: 5_000_000, monthlyUSD: 100_000_000,
                           dailyTokens: 10_000, dailyRequests: 100, rpm: 60, maxTokensPerRequest: 4096)
            ]
        )
        let now = self.ms("2026-12-02T12:00:00Z")
        let done = try #require(
            book.admit(self.caller, estimate: self.estimate(500_000, tokens: 2_000), at: now).reservation
        )
        _ = book.settle(done, actual: BudgetSpend(microUSD: 250_000, tokens: 1_500), at: now)
        _ = try #require(book.admit(self.caller, estimate: self.estimate(500_000, tokens: 2_000), at: now).reservation)
        let status = try #require(book.status(for: self.caller, at: now + 1).first)
        #expect(
            status.json(calendar: FixedOffsetCalendar.utc).compactText
                == #"{"budget":"team-a","match":{"uid":1000},"day":{"start":"2026-12-02T00:00:00Z","#
                + #""resets_at":"2026-12-03T00:00:00Z","spent_usd":0.25,"tokens":1500,"requests":2,"limit_usd":5,"#
                + #""reserved_usd":0.5,"remaining_usd":4.25,"limit_tokens":10000,"reserved_tokens":2000,"#
                + #""remaining_tokens":6500,"limit_requests":100,"remaining_requests":98},"month":{"#
                + #""start":"2026-12-01T00:00:00Z","resets_at":"2027-01-01T00:00:00Z","spent_usd":0.25,"tokens":1500,"#
                + #""requests":2,"limit_usd":100,"reserved_usd":0.5,"remaining_usd":99.25},"in_flight":1,"rpm":{"#
                + #""limit":60,"in_window":2,"remaining":58,"resets_at":"2026-12-02T12:01:00Z"},"#
                + #""max_tokens_per_request":4096}"#
        )
    }

    @Test func alertsCarryTheIssuesFields() {
        let alert = BudgetAlert(
            budget: "team-a", period: .day, threshold: 0.8, spent: 4_000_000, limit: 5_000_000,
            resetsAt: self.ms("2026-12-03T00:00:00Z")
        )
        #expect(
            alert.json(calendar: FixedOffsetCalendar.utc).compactText
                == #"{"budget":"team-a","period":"day","threshold":0.8,"spent_usd":4,"limit_usd":5,"#
                + #""resets_at":"2026-12-03T00:00:00Z"}"#
        )
        #expect(BudgetMatch.global.json == "global")
        #expect(BudgetMatch.client("batch").json.compactText == #"{"client":"batch"}"#)
    }
}
