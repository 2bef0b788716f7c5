import Testing

@testable import JunctionProviders

/// Issue 8, defect 9: libcurl 7.88 refuses a new receive-buffer size on a handle that kept its buffer (error 43),
/// and a reset handle then reads more than that buffer holds. The pool decides which handles are reused and which
/// may be given a size.
@Suite("Easy handle pool")
struct EasyHandlePoolTests {
    @Test func aStreamAlwaysGetsANewHandleAndOnlyANewHandleIsResized() {
        var pool = EasyHandlePool<Int>(capacity: 4)
        #expect(pool.checkin(1, resizedBuffer: false, refusedOption: false) == .keep)
        #expect(pool.checkout(streams: true) == .create(mayResizeBuffer: true))
        #expect(pool.checkout(streams: false) == .reuse(1))
        #expect(pool.checkout(streams: false) == .create(mayResizeBuffer: false))
    }

    @Test func aHandleWhoseBufferWasResizedIsNeverReused() {
        var pool = EasyHandlePool<Int>(capacity: 4)
        #expect(pool.checkin(7, resizedBuffer: true, refusedOption: false) == .discard)
        #expect(pool.idleCount == 0)
        #expect(pool.checkout(streams: false) == .create(mayResizeBuffer: false))
    }

    @Test func aHandleThatRefusedAnOptionIsNeverReused() {
        var pool = EasyHandlePool<Int>(capacity: 4)
        #expect(pool.checkin(3, resizedBuffer: false, refusedOption: true) == .discard)
        #expect(pool.checkout(streams: false) == .create(mayResizeBuffer: false))
    }

    @Test func aBurstLeavesAtMostCapacityIdleHandles() {
        var pool = EasyHandlePool<Int>(capacity: 2)
        let kept = (0..<10).map { pool.checkin($0, resizedBuffer: false, refusedOption: false) }
        #expect(kept.filter { $0 == .keep }.count == 2)
        #expect(pool.idleCount == 2)
        #expect(Set(pool.drain()) == [0, 1])
        #expect(pool.idleCount == 0)
    }
}
