import Testing

@testable import JunctionCore

/// Defect 6: a target is judged only on a minimum sample.
@Suite("Health status")
struct HealthStatusTests {
    let start = ContinuousClock.now

    func status(_ tracker: inout HealthTracker, at now: ContinuousClock.Instant) -> (HealthTracker.Status, String) {
        tracker.status(at: now, disabled: false, breakerOpen: false, authFailed: false, rateLimited: false, slowThreshold: .seconds(2))
    }

    @Test func oneFailedRequestIsNoData() {
        var tracker = HealthTracker()
        tracker.recordFailure("http_503", at: self.start)
        let (status, reason) = self.status(&tracker, at: self.start)
        #expect(status == .noData)
        #expect(reason.hasPrefix("no data: 1 of 5"))
    }

    @Test func fromTheMinimumSampleErrorsDegrade() {
        var tracker = HealthTracker()
        for _ in 0..<4 { tracker.recordSuccess(latency: .milliseconds(100), at: self.start) }
        #expect(self.status(&tracker, at: self.start).0 == .noData)
        tracker.recordFailure("http_503", at: self.start)
        #expect(self.status(&tracker, at: self.start).0 == .degraded)
    }

    @Test func aRecentGoodProbeIsHealthy() {
        var tracker = HealthTracker()
        tracker.recordProbe(ok: true, latency: .milliseconds(50), detail: "ok", at: self.start)
        #expect(self.status(&tracker, at: self.start).0 == .healthy)
    }

    @Test func approximateDurationsReadWell() {
        #expect(DurationText.approximate(.milliseconds(350)) == "350ms")
        #expect(DurationText.approximate(.milliseconds(4250)) == "4.2s")
        #expect(DurationText.approximate(.milliseconds(899_914)) == "14m 59s")
        #expect(DurationText.approximate(.seconds(7500)) == "2h 5m")
    }
}
