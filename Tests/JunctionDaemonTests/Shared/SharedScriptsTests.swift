import Foundation
import JunctionCore
import JunctionShared
import NIOConcurrencyHelpers
import Testing

@testable import JunctionDaemon

/// The request path's scripts on a real `redis-server`, called through the real client: what one round trip
/// queues under the same keys and shared arguments is one script call, and its items are decided in order, each
/// against what the ones before it left.
@Suite("Shared scripts with merged items")
struct SharedScriptsTests {
    /// Queues `items` (each: shared arguments, item) before the client's thread runs, so that its first round
    /// trip takes them all; returns each item's reply, in order, and the client.
    private func decide(
        _ script: RedisScript,
        keys: [String],
        _ items: [(shared: [String], item: [String])],
        on redis: RedisProcess
    ) throws -> (replies: [RedisValue], health: RedisHealth) {
        let client = RedisClient(
            endpoint: try RedisEndpoint.parse(redis.url), password: nil, timeout: .seconds(5),
            scripts: SharedScripts.all, wallClock: { WallClock.nowMilliseconds() }
        )
        let replies = NIOLockedValueBox([Int: Result<RedisValue, RedisFailure>]())
        for (index, entry) in items.enumerated() {
            client.evaluate(script, keys: keys, shared: entry.shared, item: entry.item) { result in
                replies.withLockedValue { $0[index] = result }
            }
        }
        client.start()
        defer { client.stop() }
        try poll(until: "every item is answered") { replies.withLockedValue { $0.count } == items.count }
        let values = try (0..<items.count).map { index in
            try replies.withLockedValue { $0[index]! }.get()
        }
        return (values, client.health)
    }

    private static func admitted(_ reply: RedisValue) -> Bool {
        reply.array?.first?.integer == 1
    }

    @Test func rateChecksOfOneRoundTripAreOneCallDecidedInOrder() throws {
        let redis = try RedisProcess()
        defer { redis.kill() }
        let keys = ["t:v1:rate:p:minute", "t:v1:rate:p:day"]
        let (replies, health) = try self.decide(
            SharedScripts.rateTake, keys: keys, Array(repeating: (["3", "0", "0"], ["10"]), count: 5), on: redis
        )
        #expect(replies.map(Self.admitted) == [true, true, true, false, false])
        // The refusals say when the minute has room: within a minute.
        #expect(replies.suffix(2).allSatisfy { (1...60_000).contains($0.array?[1].integer ?? 0) })
        #expect(health.operations == 5)
        #expect(health.commands == 1, "five items, one script call")
        #expect(try redis.raw(["HGET", keys[0], "R"]) == "3")
        #expect(try redis.raw(["HGET", keys[0], "T"]) == "30")
    }

    @Test func differentLimitsAreDifferentCalls() throws {
        let redis = try RedisProcess()
        defer { redis.kill() }
        let keys = ["t:v1:rate:p:minute", "t:v1:rate:p:day"]
        let (replies, health) = try self.decide(
            SharedScripts.rateTake, keys: keys,
            [(["1", "0", "0"], ["0"]), (["5", "0", "0"], ["0"]), (["1", "0", "0"], ["0"])], on: redis
        )
        // The rpm = 1 items share a call (the second is refused); the rpm = 5 item is its own call, after it.
        #expect(health.commands == 2)
        #expect(replies.map(Self.admitted) == [true, true, false])
        #expect(try redis.raw(["HGET", keys[0], "R"]) == "2")
    }

    /// Periods that end in a day (Unix ms).
    private static let periodEnd = "\(WallClock.nowMilliseconds() + 86_400_000)"
    /// Shared arguments of a budget `daily_requests = 2`, `daily_usd = 10` (micro-USD) in one day and month.
    private static let budgetShared = ["1", "1", "10", "-1", "-1", "2", "-1", Self.periodEnd, Self.periodEnd]
    private static let budgetKeys = ["t:b:day", "t:b:month", "t:b:held", "t:b:expiry", "t:b:expired", "t:b:minute"]

    @Test func reservationsOfOneRoundTripAreAllOrNothingInOrder() throws {
        let redis = try RedisProcess()
        defer { redis.kill() }
        let items = (1...4).map { (Self.budgetShared, ["r\($0)", "2", "5", "60000", "1"]) }
        let (replies, health) = try self.decide(SharedScripts.budgetReserve, keys: Self.budgetKeys, items, on: redis)
        #expect(replies.map(Self.admitted) == [true, true, false, false])
        #expect(replies[2].array?[2].text == "requests", "\(replies[2])")
        #expect(health.commands == 1)
        #expect(try redis.raw(["HGET", "t:b:day", "requests"]) == "2")
        #expect(try redis.raw(["HGET", "t:b:held", "_usd"]) == "4")
        #expect(try redis.raw(["ZCARD", "t:b:expiry"]) == "2")

        // Their settlements, merged too, free both holds and charge the true cost.
        let settled = [
            (["1", Self.periodEnd, Self.periodEnd], ["r1", "1", "3", "0", "0"]),
            (["1", Self.periodEnd, Self.periodEnd], ["r2", "2", "4", "0", "0"]),
        ]
        let (_, settling) = try self.decide(
            SharedScripts.budgetSettle, keys: Array(Self.budgetKeys.prefix(5)), settled, on: redis
        )
        #expect(settling.commands == 1)
        #expect(try redis.raw(["HGET", "t:b:held", "_usd"]) == "0")
        #expect(try redis.raw(["HGET", "t:b:held", "_tokens"]) == "0")
        #expect(try redis.raw(["ZCARD", "t:b:expiry"]) == "0")
        #expect(try redis.raw(["HGET", "t:b:day", "usd"]) == "3")
        #expect(try redis.raw(["HGET", "t:b:day", "tokens"]) == "7")
        #expect(try redis.raw(["HGET", "t:b:month", "usd"]) == "3")
        // A period's keys outlive it by a day: the TTL runs from the period's end (a day from now), so about two.
        let ttl = Int(try redis.raw(["PTTL", "t:b:day"])) ?? -1
        #expect(ttl > 86_400_000 * 2 - 60_000 && ttl <= 86_400_000 * 2, "\(ttl)")
    }

    @Test func anExtensionReplacesItsHoldWhenAdmittedAndKeepsItWhenRefused() throws {
        let redis = try RedisProcess()
        defer { redis.kill() }
        let (first, _) = try self.decide(
            SharedScripts.budgetReserve, keys: Self.budgetKeys, [(Self.budgetShared, ["x", "5", "1", "60000", "1"])],
            on: redis
        )
        #expect(first.map(Self.admitted) == [true])
        // Extensions (not counted as requests): 12 does not fit daily_usd = 10; 8 does, in place of the 5.
        let (extensions, _) = try self.decide(
            SharedScripts.budgetReserve, keys: Self.budgetKeys,
            [(Self.budgetShared, ["x", "12", "1", "60000", "0"]), (Self.budgetShared, ["x", "8", "1", "60000", "0"])],
            on: redis
        )
        #expect(extensions.map(Self.admitted) == [false, true])
        #expect(extensions[0].array?[2].text == "daily_usd")
        #expect(try redis.raw(["HGET", "t:b:held", "x"]) == "8 1")
        #expect(try redis.raw(["HGET", "t:b:held", "_usd"]) == "8")
        #expect(try redis.raw(["HGET", "t:b:day", "requests"]) == "1", "an extension is no new request")
    }

    @Test func aHoldPastItsExpiryIsFreedByTheNextReservation() throws {
        let redis = try RedisProcess()
        defer { redis.kill() }
        // A daemon died holding 9 of the 10: its hold expired a second ago.
        try redis.cli(["HSET", "t:b:held", "dead", "9 0", "_usd", "9", "_tokens", "0"])
        let now = Int64(try redis.raw(["TIME"]).split(separator: "\n").first ?? "") ?? 0
        try redis.cli(["ZADD", "t:b:expiry", "\(now * 1000 - 1000)", "dead"])
        let (replies, _) = try self.decide(
            SharedScripts.budgetReserve, keys: Self.budgetKeys, [(Self.budgetShared, ["y", "6", "0", "60000", "1"])],
            on: redis
        )
        #expect(replies.map(Self.admitted) == [true])
        #expect(try redis.raw(["HEXISTS", "t:b:held", "dead"]) == "0")
        #expect(try redis.raw(["HGET", "t:b:held", "_usd"]) == "6")
    }

    /// A settlement sent again (its first sending timed out) is charged only if the first did not land: its hold
    /// is still there, or expired unsettled; one that landed answers 0 and charges nothing.
    @Test func aSettlementSentAgainIsChargedOnlyIfTheFirstDidNotLand() throws {
        let redis = try RedisProcess()
        defer { redis.kill() }
        let settleKeys = Array(Self.budgetKeys.prefix(5))
        let settleShared = ["1", Self.periodEnd, Self.periodEnd]
        let reserved = (1...3).map { (Self.budgetShared, ["s\($0)", "1", "1", "60000", "1"]) }
        _ = try self.decide(SharedScripts.budgetReserve, keys: Self.budgetKeys, Array(reserved.prefix(2)), on: redis)
        // s1 was settled (the sending that timed out did land); s2 was not.
        _ = try self.decide(
            SharedScripts.budgetSettle, keys: settleKeys, [(settleShared, ["s1", "5", "5", "0", "0"])], on: redis
        )
        // s3's hold expired unsettled: the next reservation frees it and remembers it.
        try redis.cli(["HSET", "t:b:held", "s3", "1 1"])
        try redis.cli(["HINCRBY", "t:b:held", "_usd", "1"])
        try redis.cli(["HINCRBY", "t:b:held", "_tokens", "1"])
        let now = Int64(try redis.raw(["TIME"]).split(separator: "\n").first ?? "") ?? 0
        try redis.cli(["ZADD", "t:b:expiry", "\(now * 1000 - 1000)", "s3"])
        _ = try self.decide(
            SharedScripts.budgetReserve, keys: Self.budgetKeys, [(Self.budgetShared, ["s4", "0", "0", "60000", "0"])],
            on: redis
        )
        #expect(try redis.raw(["ZSCORE", "t:b:expired", "s3"]) != "")
        #expect(Int(try redis.raw(["PTTL", "t:b:expired"])) ?? -1 > 0)
        let (again, _) = try self.decide(
            SharedScripts.budgetSettle, keys: settleKeys,
            ["s1", "s2", "s3"].map { (settleShared, [$0, "5", "5", "0", "1"]) }, on: redis
        )
        #expect(again.map(\.integer) == [0, 1, 1], "s1 had landed; s2 was held; s3 expired unsettled")
        #expect(try redis.raw(["HGET", "t:b:day", "usd"]) == "15", "5 for s1's first sending, 5 each for s2 and s3")
        // Once settled, a further copy of s3 is not charged either.
        let (third, _) = try self.decide(
            SharedScripts.budgetSettle, keys: settleKeys, [(settleShared, ["s3", "5", "5", "0", "1"])], on: redis
        )
        #expect(third.map(\.integer) == [0])
        #expect(try redis.raw(["HGET", "t:b:day", "usd"]) == "15")
        // Emptied, the set is gone; while it held s3 it had a TTL.
        #expect(try redis.raw(["EXISTS", "t:b:expired"]) == "0")
    }
}
