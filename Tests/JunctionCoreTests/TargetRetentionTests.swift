import Testing

@testable import JunctionCore

/// A fake clock: instants are offsets from one origin.
private let origin = ContinuousClock.now
private func at(_ seconds: Double) -> ContinuousClock.Instant { origin + .milliseconds(Int64(seconds * 1000)) }

/// Issue 8, defect 5: the states of caller-chosen `provider:model` names were never freed.
@Suite("Target retention")
struct TargetRetentionTests {
    private func retention(capacity: Int = 3, idle: Duration = .seconds(600)) -> TargetRetention<String> {
        TargetRetention(configuration: TargetRetentionPolicy(capacity: capacity, idleExpiry: idle))
    }

    @Test func theLeastRecentlyUsedGoesFirstWhenFull() {
        var retention = self.retention()
        let r1 = retention.used("a", at: at(0))
        #expect(r1 == [])
        let r2 = retention.used("b", at: at(1))
        #expect(r2 == [])
        let r3 = retention.used("c", at: at(2))
        #expect(r3 == [])
        let r4 = retention.used("a", at: at(3))
        #expect(r4 == [])// a is the most recent now
        let r5 = retention.used("d", at: at(4))
        #expect(r5 == ["b"])
        let r6 = retention.used("e", at: at(5))
        #expect(r6 == ["c"])
        #expect(retention.keysByRecency == ["a", "d", "e"])
        #expect(retention.count == 3)
    }

    @Test func manyDistinctNamesStayWithinTheCapacity() {
        var retention = self.retention(capacity: 100)
        var forgotten = 0
        for index in 0..<20_000 { forgotten += retention.used("m\(index)", at: at(Double(index) / 1000)).count }
        #expect(retention.count == 100)
        #expect(forgotten == 19_900)
        #expect(retention.keysByRecency == (19_900..<20_000).map { "m\($0)" })
    }

    @Test func idleStatesExpireAndRecentOnesStay() {
        var retention = self.retention(capacity: 10, idle: .seconds(60))
        _ = retention.used("a", at: at(0))
        _ = retention.used("b", at: at(30))
        let r7 = retention.expire(at: at(59.9))
        #expect(r7 == [])
        #expect(retention.isRecent("a", at: at(59.9)))
        #expect(!retention.isRecent("a", at: at(60)))
        let r8 = retention.expire(at: at(60))
        #expect(r8 == ["a"])
        _ = retention.used("b", at: at(80))  // used again: its idle time starts over
        let r9 = retention.expire(at: at(100))
        #expect(r9 == [])
        let r10 = retention.expire(at: at(140))
        #expect(r10 == ["b"])
        #expect(retention.count == 0)
        #expect(!retention.isRecent("b", at: at(140)))
    }

    /// An open breaker is not forgotten before its open interval ends: that would let traffic through to a
    /// target known to be failing. It is not recent either, so it is not probed.
    @Test func aHeldStateOutlivesItsIdleExpiryUntilItsHoldEnds() {
        var retention = self.retention(capacity: 10, idle: .seconds(60))
        _ = retention.used("open", at: at(0))
        _ = retention.used("idle", at: at(1))
        retention.hold("open", until: at(300))
        let r11 = retention.expire(at: at(120))
        #expect(r11 == ["idle"])
        #expect(retention.contains("open"))
        #expect(!retention.isRecent("open", at: at(120)))
        let r12 = retention.expire(at: at(299))
        #expect(r12 == [])
        let r13 = retention.expire(at: at(300))
        #expect(r13 == ["open"])
    }

    /// When full, a state that holds nothing goes before a held one, even a less recently used held one; when
    /// every state is held, the capacity still wins.
    @Test func evictionSparesHeldStatesWhileItCan() {
        var retention = self.retention(capacity: 2)
        _ = retention.used("held", at: at(0))
        retention.hold("held", until: at(100))
        _ = retention.used("plain", at: at(1))
        let r14 = retention.used("new", at: at(2))
        #expect(r14 == ["plain"])
        retention.hold("new", until: at(100))
        let r15 = retention.used("newer", at: at(3))
        #expect(r15 == ["held"])
        // Once the hold is over, the order is plain recency again.
        let r16 = retention.used("last", at: at(200))
        #expect(r16 == ["new"])
    }

    @Test func aSmallerCapacityForgetsTheOldestAndRemovalUnlinks() {
        var retention = self.retention(capacity: 5)
        for (index, key) in ["a", "b", "c", "d", "e"].enumerated() { _ = retention.used(key, at: at(Double(index))) }
        retention.remove("c")
        #expect(retention.keysByRecency == ["a", "b", "d", "e"])
        let smaller = TargetRetentionPolicy(capacity: 2, idleExpiry: .seconds(600))
        let r17 = retention.reconfigure(smaller, at: at(10))
        #expect(r17 == ["a", "b"])
        #expect(retention.keysByRecency == ["d", "e"])
        retention.remove("e")
        retention.remove("d")
        #expect(retention.keysByRecency == [])
        let r18 = retention.used("f", at: at(11))
        #expect(r18 == [])
        #expect(retention.keysByRecency == ["f"])
    }
}
