import Testing

@testable import JunctionDaemon

@Suite("HTTP connection phase: timers, keep-alive, drain")
struct HTTPConnectionPhaseTests {
    private let idle = Duration.seconds(60)
    private let linger = Duration.seconds(2)

    private func phase() -> HTTPConnectionPhase {
        HTTPConnectionPhase(idleTimeout: self.idle, lingerTimeout: self.linger)
    }

    @Test func idleTimerRunsBetweenRequestsAndStopsWhileAnswering() {
        var phase = self.phase()
        #expect(phase.connected() == .arm(self.idle))
        #expect(phase.requestHeadReceived() == .arm(self.idle))
        #expect(phase.requestBodyReceived() == .arm(self.idle))
        #expect(phase.requestEndReceived() == .disarm)
        #expect(phase.responseHeadSent(closes: false) == false)
        #expect(phase.responseEndSent() == .arm(self.idle))
        #expect(phase.outstanding == 0)
    }

    @Test func aClosingResponseShutsTheOutputAndLingers() {
        var phase = self.phase()
        _ = phase.requestHeadReceived()
        _ = phase.requestEndReceived()
        #expect(phase.responseHeadSent(closes: true) == false)
        #expect(phase.responseEndSent() == .shutOutputAndArm(self.linger))
        #expect(phase.requestHeadReceived() == .none)
        #expect(phase.timerFired() == .close)
    }

    @Test func aRefusalBeforeAnyRequestLingersToo() {
        var phase = self.phase()
        _ = phase.connected()
        _ = phase.responseHeadSent(closes: true)
        #expect(phase.responseEndSent() == .shutOutputAndArm(self.linger))
    }

    @Test func drainClosesAnIdleConnectionAtOnce() {
        var phase = self.phase()
        _ = phase.connected()
        #expect(phase.drainStarted() == .close)
    }

    @Test func drainLetsTheResponseInProgressFinishAndMarksItClosing() {
        var phase = self.phase()
        _ = phase.requestHeadReceived()
        _ = phase.requestEndReceived()
        #expect(phase.drainStarted() == .none)
        #expect(phase.responseHeadSent(closes: false) == true)  // the head gets Connection: close
        #expect(phase.responseEndSent() == .shutOutputAndArm(self.linger))
    }

    @Test func drainWaitsForARequestBeingRead() {
        var phase = self.phase()
        _ = phase.requestHeadReceived()
        #expect(phase.drainStarted() == .none)
        #expect(phase.requestEndReceived() == .disarm)
    }

    @Test func aClientThatStopsReadingIsTimedWhileUnwritable() {
        var phase = self.phase()
        _ = phase.requestHeadReceived()
        _ = phase.requestEndReceived()
        #expect(phase.writabilityChanged(writable: false) == .arm(self.idle))
        #expect(phase.writabilityChanged(writable: true) == .disarm)
        _ = phase.responseEndSent()
        #expect(phase.writabilityChanged(writable: false) == .none)  // nothing outstanding: the idle timer runs
    }

    @Test func pipelinedRequestsKeepTheTimerOffUntilTheLastAnswer() {
        var phase = self.phase()
        _ = phase.requestHeadReceived()
        _ = phase.requestEndReceived()
        #expect(phase.requestHeadReceived() == .none)
        #expect(phase.requestEndReceived() == .disarm)
        _ = phase.responseHeadSent(closes: false)
        #expect(phase.responseEndSent() == .none)
        _ = phase.responseHeadSent(closes: false)
        #expect(phase.responseEndSent() == .arm(self.idle))
    }
}
