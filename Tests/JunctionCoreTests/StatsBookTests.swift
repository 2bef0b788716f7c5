import Testing

@testable import JunctionCore

/// The pure parts of `stats.snapshot`: histograms, the 15-minute ring, today's cost, ratings and failovers, all
/// driven by times the tests choose.
@Suite("Stats book")
struct StatsBookTests {
    private let openai = TargetRef(provider: "openai", model: "gpt-4o")
    private let anthropic = TargetRef(provider: "anthropic", model: "claude")
    private let utc = FixedOffsetCalendar.utc

    @Test func histogramPercentilesAreWithinTheBinResolution() {
        var histogram = LatencyHistogram()
        #expect(histogram.percentile(50) == nil)
        #expect(histogram.counts.isEmpty)  // no memory until the first sample
        for latency in 1...1_000 { histogram.record(milliseconds: latency) }
        let p50 = histogram.percentile(50)!
        let p95 = histogram.percentile(95)!
        #expect(abs(Double(p50) - 500) / 500 < 0.08, "p50 \(p50)")
        #expect(abs(Double(p95) - 950) / 950 < 0.08, "p95 \(p95)")
        #expect(histogram.total == 1_000)
        var zero = LatencyHistogram()
        zero.record(milliseconds: 0)
        #expect(zero.percentile(99) == 0)
        var huge = LatencyHistogram()
        huge.record(milliseconds: Int.max)
        #expect(huge.percentile(50)! > 500_000)  // the last bin, no trap
    }

    @Test func mergingHistogramsAddsTheirSamples() {
        var fast = LatencyHistogram()
        var slow = LatencyHistogram()
        for _ in 0..<90 { fast.record(milliseconds: 10) }
        for _ in 0..<10 { slow.record(milliseconds: 1_000) }
        var merged = LatencyHistogram()
        merged.merge(fast)
        merged.merge(slow)
        #expect(merged.total == 100)
        #expect(merged.percentile(50)! < 12)
        #expect(merged.percentile(95)! > 900)
    }

    @Test func theRingKeepsFifteenMinutesAndForgetsOlderLaps() {
        var ring = StatsRing()
        let start: Int64 = 1_764_670_000_000  // a bucket boundary
        ring.record(StatsSample(failed: false, latencyMilliseconds: 100, costMicroUSD: 5), at: start + 1)
        ring.record(StatsSample(failed: true), at: start + 9_999)
        ring.record(StatsSample(failed: false, latencyMilliseconds: 300), at: start + 10_000)
        let series = ring.series(at: start + 15_000)
        #expect(series.count == 90)
        #expect(series.last?.index == StatsRing.index(at: start + 10_000))
        #expect(series[88].requests == 2)
        #expect(series[88].errors == 1)
        #expect(series[88].costMicroUSD == 5)
        #expect(series[89].requests == 1)
        // 15 minutes later the first bucket's slot is reused; the old lap reads as empty.
        let lap = start + 900_000
        ring.record(StatsSample(failed: false), at: lap)
        #expect(ring.bucket(StatsRing.index(at: start)).requests == 0)
        #expect(ring.bucket(StatsRing.index(at: lap)).requests == 1)
        // A sample from the overwritten lap (the clock stepped back) is not counted.
        ring.record(StatsSample(failed: false), at: start + 5)
        #expect(ring.bucket(StatsRing.index(at: lap)).requests == 1)
        #expect(ring.window(buckets: 90, at: lap).requests == 2)  // the lap's bucket and start + 10 s
    }

    @Test func windowsAddBucketsAndSpansCountThePartialOne() {
        var ring = StatsRing()
        let start: Int64 = 1_764_670_000_000
        for second in 0..<60 { ring.record(StatsSample(failed: second % 10 == 0), at: start + Int64(second) * 1_000) }
        let now = start + 55_000
        let window = ring.window(buckets: 6, at: now)
        #expect(window.requests == 60)  // seconds 50 to 59 are all in the current bucket
        #expect(window.errors == 6)
        #expect(ring.window(buckets: 1, at: start + 45_000).requests == 10)
        #expect(StatsRing.span(buckets: 6, at: now) == 55_000)
        #expect(StatsRing.span(buckets: 6, at: start + 50_000) == 51_000)  // at least a second of the current one
        #expect(StatsRing.index(at: -1) == -1)
    }

    @Test func attemptsCountPerProviderAndTargetAndFailoversAreListed() {
        var book = StatsBook()
        let start: Int64 = 1_764_670_000_000
        let request = RequestSample(
            requestID: "r-1", startedAt: start, endedAt: start + 700, failed: false,
            attempts: [
                AttemptSample(target: self.openai, failureReason: "rate_limited", latencyMilliseconds: 100),
                AttemptSample(
                    target: self.anthropic, latencyMilliseconds: 500, waitMilliseconds: 100, costMicroUSD: 2_000
                ),
            ]
        )
        book.requestFinished(request, calendar: self.utc)
        #expect(book.daemon.requestsTotal == 1)
        #expect(book.daemon.errorsTotal == 0)
        #expect(book.providers["openai"]?.errorsTotal == 1)
        #expect(book.targets[self.anthropic]?.requestsTotal == 1)
        let answered = book.targets[self.anthropic]!.ring.window(buckets: 1, at: start + 1_000)
        #expect(answered.latency.total == 1)  // failures carry no latency sample
        #expect(book.targets[self.openai]!.ring.window(buckets: 1, at: start + 1_000).latency.total == 0)
        #expect(
            book.failovers.recent == [
                FailoverRecord(
                    atMilliseconds: start + 100, requestID: "r-1", from: self.openai, to: self.anthropic,
                    reason: "rate_limited"
                )
            ]
        )
        #expect(book.costToday.cost(of: self.anthropic) == 2_000)
        #expect(book.costToday.total == 2_000)
        // A retry on the same target is not a failover; an abandoned attempt counts its cost only.
        let retry = RequestSample(
            requestID: "r-2", startedAt: start + 1_000, endedAt: start + 1_900, failed: true,
            attempts: [
                AttemptSample(target: self.openai, failureReason: "http_503", latencyMilliseconds: 10),
                AttemptSample(target: self.openai, failureReason: "http_503", latencyMilliseconds: 10),
                AttemptSample(target: self.anthropic, latencyMilliseconds: 10, costMicroUSD: 7, abandoned: true),
            ]
        )
        book.requestFinished(retry, calendar: self.utc)
        #expect(book.failovers.recent.count == 2)
        #expect(book.failovers.recent.first?.requestID == "r-2")
        #expect(book.daemon.errorsTotal == 1)
        #expect(book.targets[self.anthropic]?.requestsTotal == 1)
        #expect(book.costToday.cost(ofProvider: "anthropic") == 2_007)
    }

    @Test func theFailoverListKeepsTheTwentyNewest() {
        var log = FailoverLog()
        for number in 0..<25 {
            log.append(
                FailoverRecord(
                    atMilliseconds: Int64(number), requestID: "r-\(number)", from: self.openai, to: self.anthropic,
                    reason: "timeout"
                )
            )
        }
        #expect(log.recent.count == 20)
        #expect(log.recent.first?.requestID == "r-24")
        #expect(log.recent.last?.requestID == "r-5")
    }

    @Test func targetsBeyondTheCapCountInTheirProviderOnly() {
        var book = StatsBook(maxTargets: 1)
        for model in ["a", "b"] {
            book.requestFinished(
                RequestSample(
                    requestID: model, startedAt: 0, endedAt: 1, failed: false,
                    attempts: [AttemptSample(target: TargetRef(provider: "p", model: model), latencyMilliseconds: 1)]
                ),
                calendar: self.utc
            )
        }
        #expect(book.targets.count == 1)
        #expect(book.providers["p"]?.requestsTotal == 2)
    }

    @Test func costTodayRollsOverAtLocalMidnight() {
        let tokyo = FixedOffsetCalendar(offsetSeconds: 9 * 3_600)
        var cost = CostToday()
        let beforeMidnight = ms("2025-12-02T23:59:00+09:00")
        cost.add(100, target: self.openai, startedAt: beforeMidnight, calendar: tokyo)
        #expect(cost.total == 100)
        #expect(cost.day == tokyo.day(containing: beforeMidnight))
        let afterMidnight = ms("2025-12-03T00:00:01+09:00")
        cost.add(5, target: self.openai, startedAt: afterMidnight, calendar: tokyo)
        #expect(cost.total == 5)
        // A request that started yesterday and finished today is yesterday's.
        cost.add(1_000, target: self.openai, startedAt: beforeMidnight, calendar: tokyo)
        #expect(cost.total == 5)
        cost.rollOver(at: ms("2025-12-04T00:00:00+09:00"), calendar: tokyo)
        #expect(cost.total == 0)
        cost.seed([self.anthropic: 42], day: tokyo.day(containing: afterMidnight))
        #expect(cost.cost(ofProvider: "anthropic") == 42)
    }

    @Test func aSecondRatingReplacesTheFirst() {
        var book = StatsBook()
        book.seed(
            costToday: [:], day: self.utc.day(containing: 0),
            feedback: [self.openai: FeedbackTally(count: 2, sum: 1.5)]
        )
        book.feedbackRecorded(target: self.openai, score: 1, replacing: nil)
        #expect(book.feedback[self.openai] == FeedbackTally(count: 3, sum: 2.5))
        book.feedbackRecorded(target: self.openai, score: 0, replacing: 1)
        #expect(book.feedback[self.openai] == FeedbackTally(count: 3, sum: 1.5))
        book.feedbackRecorded(target: self.anthropic, score: 0.5, replacing: nil)
        #expect(book.feedbackTotal.count == 4)
        #expect(book.feedbackTotal.mean == 0.5)
        #expect(book.feedback(ofProvider: "anthropic").mean == 0.5)
        #expect(FeedbackTally().mean == nil)
    }

    @Test func breakerTimesRememberWhenABreakerOpened() {
        var times = BreakerTimes()
        #expect(times.observe("p", state: "half_open", openSinceMilliseconds: nil, at: 1_000) == nil)
        #expect(times.observe("p", state: "open", openSinceMilliseconds: 4_000, at: 10_000) == 4_000)
        // Half-open now: the opening is remembered.
        #expect(times.observe("p", state: "half_open", openSinceMilliseconds: nil, at: 12_000) == 6_000)
        // Open again after a failed probe: still counted from the first opening.
        #expect(times.observe("p", state: "open", openSinceMilliseconds: 0, at: 13_000) == 7_000)
        // A memory older than a minute is not trusted.
        #expect(times.observe("p", state: "half_open", openSinceMilliseconds: nil, at: 200_000) == nil)
        #expect(times.observe("p", state: "open", openSinceMilliseconds: 10, at: 200_010) == 10)
        #expect(times.observe("p", state: "closed", openSinceMilliseconds: nil, at: 200_020) == nil)
        #expect(times.observe("p", state: "half_open", openSinceMilliseconds: nil, at: 200_030) == nil)
    }
}
