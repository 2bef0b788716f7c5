import Testing

@testable import JunctionCore

private let origin = ContinuousClock.now
private func at(_ seconds: Double) -> ContinuousClock.Instant { origin + .milliseconds(Int64(seconds * 1000)) }

/// Issue 8, defect 8: memory freed after a burst was never returned to the system.
@Suite("Idle trim")
struct IdleTrimTests {
    static let mb = 1 << 20

    @Test func trimsOnceAfterIdleFollowingWork() {
        var trim = IdleTrim(configuration: .init(idleAfter: .seconds(5), minimumFreeBytes: 4 * Self.mb))
        let r1 = trim.sampled(busy: false, freeBytes: Self.mb, at: at(0))
        #expect(!r1)// at rest: nothing to do
        let r2 = trim.sampled(busy: true, freeBytes: Self.mb, at: at(1))
        #expect(!r2)
        let r3 = trim.sampled(busy: true, freeBytes: 50 * Self.mb, at: at(2))
        #expect(!r3)
        let r4 = trim.sampled(busy: false, freeBytes: 90 * Self.mb, at: at(3))
        #expect(!r4)
        let r5 = trim.sampled(busy: false, freeBytes: 90 * Self.mb, at: at(6.9))
        #expect(!r5)
        let r6 = trim.sampled(busy: false, freeBytes: 90 * Self.mb, at: at(7))
        #expect(r6)
        trim.trimmed(freeBytes: 20 * Self.mb)  // fragmented free chunks still count as free
        for second in 8..<60 {
            let trims = trim.sampled(busy: false, freeBytes: 20 * Self.mb, at: at(Double(second)))
            #expect(!trims)
        }
    }

    @Test func workBetweenTwoSamplesIsSeenInTheFreeHeap() {
        var trim = IdleTrim(configuration: .init(idleAfter: .seconds(5), minimumFreeBytes: 4 * Self.mb))
        let r7 = trim.sampled(busy: false, freeBytes: 30 * Self.mb, at: at(0))
        #expect(!r7)
        let r8 = trim.sampled(busy: false, freeBytes: 30 * Self.mb, at: at(4.9))
        #expect(!r8)
        let r9 = trim.sampled(busy: false, freeBytes: 30 * Self.mb, at: at(5))
        #expect(r9)
        trim.trimmed(freeBytes: 2 * Self.mb)
        let r10 = trim.sampled(busy: false, freeBytes: 5 * Self.mb, at: at(6))
        #expect(!r10)// 3 MB more: not worth it
        let r11 = trim.sampled(busy: false, freeBytes: 9 * Self.mb, at: at(7))
        #expect(!r11)// a burst came and went
        let r12 = trim.sampled(busy: false, freeBytes: 9 * Self.mb, at: at(12))
        #expect(r12)
    }

    @Test func aBusyDaemonIsNeverTrimmed() {
        var trim = IdleTrim()
        for second in 0..<100 {
            let trims = trim.sampled(busy: true, freeBytes: 500 * Self.mb, at: at(Double(second)))
            #expect(!trims)
        }
    }
}
