import JunctionCore
import Testing

@Suite struct StatsHistoryTests {
    /// A bucket-aligned start, so that the tests say which bucket each request falls in.
    let start: Int64 = 1_764_670_000_000

    @Test func requestsLandInTenSecondBucketsOldestFirst() {
        var history = StatsHistory()
        history.record(provider: "a", atMs: self.start, failed: false, latencyMs: 40, costMicroUSD: 10)
        history.record(provider: "a", atMs: self.start + 9_999, failed: true, latencyMs: 900, costMicroUSD: 0)
        history.record(provider: "a", atMs: self.start + 10_000, failed: false, latencyMs: 100, costMicroUSD: 5)
        let series = history.series(provider: "a", nowMs: self.start + 10_000)
        #expect(series.requestsPerSecond.count == StatsHistory.points)
        #expect(series.requestsPerSecond.suffix(2) == [0.2, 0.1])
        #expect(series.errorRate.suffix(2) == [0.5, 0])
        #expect(series.costMicroUSD.suffix(2) == [10, 5])
        #expect(series.p95LatencyMs.suffix(2) == [1_000, 100])
        #expect(series.p95LatencyMs.first == .some(nil))
        #expect(series.startMs == self.start + 10_000 - Int64(StatsHistory.points - 1) * 10_000)
        #expect(history.requests(lastSeconds: 60, nowMs: self.start + 10_000) == 3)
    }

    @Test func bucketsOlderThanFifteenMinutesAreForgotten() {
        var history = StatsHistory()
        history.record(provider: "a", atMs: self.start, failed: false, latencyMs: 40, costMicroUSD: 10)
        let later = self.start + 15 * 60_000
        #expect(history.series(provider: "a", nowMs: later - 1).requestsPerSecond.first == 0.1)
        #expect(history.series(provider: "a", nowMs: later).requestsPerSecond.allSatisfy { $0 == 0 })
        // The slot is reused by the new interval, not added to.
        history.record(provider: "a", atMs: later, failed: false, latencyMs: 40, costMicroUSD: 1)
        #expect(history.series(provider: "a", nowMs: later).costMicroUSD.last == 1)
        #expect(history.series(provider: "b", nowMs: later).requestsPerSecond.allSatisfy { $0 == 0 })
    }

    @Test func theLatencyPercentileIsTheBucketBound() {
        var histogram = LatencyHistogram()
        #expect(histogram.percentile(95) == nil)
        for _ in 0..<19 { histogram.record(milliseconds: 30) }
        histogram.record(milliseconds: 4_000)
        #expect(histogram.percentile(95) == 50)
        #expect(histogram.percentile(100) == 5_000)
        histogram.record(milliseconds: 999_999)
        #expect(histogram.percentile(100) == 120_000)
    }

    @Test func dailyCostResetsWhenADayBegins() {
        let target = TargetRef(provider: "p", model: "m")
        var daily = DailyCost(dayStartMs: 1_000)
        daily.add(5, target: target, dayStartMs: 1_000)
        daily.add(7, target: TargetRef(provider: "q", model: "m"), dayStartMs: 1_000)
        #expect(daily.total(provider: "p") == 5)
        #expect(daily.total == 12)
        daily.add(3, target: target, dayStartMs: 500)  // a stale event of the day before: not counted
        #expect(daily.total == 12)
        daily.add(2, target: target, dayStartMs: 2_000)
        #expect(daily.total == 2)
        #expect(daily.dayStartMs == 2_000)
    }

    @Test func recentFailoversKeepTheNewestFirst() {
        var failovers = RecentFailovers(capacity: 2)
        for number in 1...3 {
            failovers.record(.init(atMs: Int64(number), requestID: "r\(number)", from: "a:m", to: "b:m", reason: "http_503"))
        }
        #expect(failovers.newestFirst.map(\.requestID) == ["r3", "r2"])
    }
}
