import Foundation
import JunctionCore
import JunctionShared
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// The fleet's state on Redis or Valkey (`[shared]`): atomic scripts for rate windows and budget reservations,
/// settlements sent without waiting (and merged after an outage, so spend is never lost), and marks — breakers,
/// blocks, cooldowns — published on a channel and kept in keys that expire with them, which every daemon adopts.
/// It is also the service that runs the client's threads and merges what piled up while Redis was away.
final class RedisSharedState: SharedState, Service {
    /// Settlements that did not reach Redis, summed per budget and period: bounded by the number of budgets and
    /// periods, however long the outage.
    private struct Backlog {
        /// One budget's day and month, by their keys (which name the periods).
        struct Key: Hashable {
            var keys: [String]
        }

        struct Sum {
            var microUSD = 0
            var tokens = 0
            var requests = 0
            /// When the periods end (Unix ms): the keys' TTLs are computed from them when the sum is sent.
            var dayEnd: Int64
            var monthEnd: Int64
        }

        var sums: [Key: Sum] = [:]
        /// Reservations to free once Redis is back (their expiry frees them anyway): their keys and period ends.
        var held: [String: (keys: [String], ends: [(day: Int64, month: Int64)])] = [:]
        /// Settlements of fleet-held reservations whose sending timed out or lost its connection: they may have
        /// landed. Each is sent again marked so, and charged only if it had not (`budget.settle`), never twice.
        var uncertain: [String: Uncertain] = [:]

        struct Uncertain {
            var settlement: SharedSettlement
            var keys: [String]
            var shared: [String]
        }

        /// What waits for Redis: budget periods with a sum, reservations to free, settlements to send again.
        var count: Int { self.sums.count + self.held.count + self.uncertain.count }
    }

    /// Past this many, further uncertain settlements are summed like the outage's (and may then count twice if
    /// they did land): memory stays bounded through any outage.
    static let largestUncertainBacklog = 10_000

    let client: RedisClient
    private let subscriber: RedisSubscriber
    private let keys: SharedKeys
    private let logger: Logger
    /// Marks of this daemon carry it; its own are ignored when they come back on the channel.
    let instance: String
    private let adopt = NIOLockedValueBox<(@Sendable (SharedMark) -> Void)?>(nil)
    private let backlog = NIOLockedValueBox(Backlog())

    /// `[shared] cache`: the fleet's L2 behind each daemon's in-memory cache.
    let sharesCache: Bool

    /// The largest answer the L2 holds (its JSON encoding): Redis memory is the fleet's, and limits come first.
    static let largestCachedAnswer = 512 * 1024
    /// An L2 entry lives at most this long, whatever `[cache] ttl`: shorter than every limit and budget key's
    /// TTL (2 h and more), so that `maxmemory-policy volatile-ttl` evicts cache entries before any of those.
    static let longestCacheTTL: Duration = .seconds(3600)

    init(config: SharedConfig, password: String?, logger: Logger, wallClock: @escaping @Sendable () -> Int64) {
        self.sharesCache = config.cache
        self.keys = SharedKeys(prefix: config.prefix)
        self.logger = logger
        self.instance = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        self.client = RedisClient(
            endpoint: config.endpoint, password: password, timeout: config.timeout, scripts: SharedScripts.all,
            wallClock: wallClock
        )
        let adopt = self.adopt
        let instance = self.instance
        let logger = logger
        let box = NIOLockedValueBox<RedisClient?>(nil)
        let keys = self.keys
        self.subscriber = RedisSubscriber(
            endpoint: config.endpoint, password: password, channel: self.keys.channel,
            handler: { payload in
                guard let (mark, origin) = Self.decode(payload), origin != instance else { return }
                adopt.withLockedValue { $0 }?(mark)
            },
            resubscribed: {
                // Marks published while this daemon was away are still in their keys.
                guard let client = box.withLockedValue({ $0 }) else { return }
                Self.readMarks(client: client, keys: keys, instance: instance, logger: logger) { mark in
                    adopt.withLockedValue { $0 }?(mark)
                }
            }
        )
        box.withLockedValue { $0 = self.client }
    }

    var isFleet: Bool { true }
    var health: RedisHealth { self.client.health }
    /// Whether the subscription that carries the fleet's marks is live.
    var isSubscribed: Bool { self.subscriber.isSubscribed }

    /// Where adopted marks go (the resilience shell); set before the service runs.
    func onMark(_ handler: @escaping @Sendable (SharedMark) -> Void) {
        self.adopt.withLockedValue { $0 = handler }
    }

    // MARK: - Service

    func run() async throws {
        self.client.start()
        self.subscriber.start()
        self.client.setOnConnect { [weak self] in self?.flushBacklog() }
        if case .failure(let failure) = await self.client.command(["PING"]) {
            self.logger.warning(
                "shared state: Redis does not answer; limits, budgets and breakers hold per daemon until it does",
                metadata: ["redis": "\(self.client.endpoint)", "error": "\(failure)"]
            )
        } else {
            self.logger.notice("shared state connected", metadata: ["redis": "\(self.client.endpoint)"])
        }
        var wasHealthy = true
        while !Task.isShuttingDownGracefully {
            let health = self.client.health
            let healthy = health.state == .connected
            if healthy != wasHealthy {
                if healthy {
                    self.logger.notice("shared state connected again; merging what this daemon counted meanwhile")
                } else {
                    self.logger.warning(
                        "shared state degraded: limits, budgets and breakers hold per daemon until Redis answers",
                        metadata: ["error": "\(health.lastError ?? "none")"]
                    )
                }
                wasHealthy = healthy
            }
            // While Redis is away nothing else may try it: a probe every half second notices its return. A write, not
            // a PING: a Redis out of memory answers PING but refuses every script.
            if !healthy { _ = await self.client.command(["SET", self.keys.probe, self.instance, "PX", "5000"]) }
            self.flushBacklog()
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(500)) }
            } catch {
                break
            }
        }
        self.flushBacklog()
        self.subscriber.stop()
        // Sends what is still queued (the last requests' settlements) before the thread ends.
        self.client.stop()
        let left = self.backlog.withLockedValue { $0.sums.count + $0.uncertain.count }
        if left > 0 {
            self.logger.warning(
                "shared state: the outage's spend did not reach the fleet's budgets before shutdown (ledger has it)",
                metadata: ["budget_periods": "\(left)"]
            )
        }
    }

    // MARK: - Rate windows

    func takeRate(provider: String, limits: RateWindow.Limits, tokens: Int) async -> SharedRateDecision {
        // Redis' breaker is open: decide locally without building the call.
        guard self.client.isAvailable else { return .local }
        let reply = await self.client.evaluate(
            SharedScripts.rateTake, keys: self.keys.rate(provider),
            shared: [
                "\(limits.requestsPerMinute ?? 0)", "\(limits.tokensPerMinute ?? 0)", "\(limits.requestsPerDay ?? 0)",
            ],
            item: ["\(max(0, tokens))"]
        )
        guard case .success(let value) = reply, let parts = value.array, parts.count == 2,
            let admitted = parts[0].integer, let wait = parts[1].integer
        else { return .local }
        return admitted == 1 ? .admit : .wait(.milliseconds(max(1, wait)))
    }

    func correctTokens(provider: String, delta: Int) {
        guard delta != 0 else { return }
        self.client.evaluate(
            SharedScripts.rateCorrect, keys: [self.keys.rate(provider)[0]], shared: [], item: ["\(delta)", "0"]
        ) { _ in }
    }

    func giveBack(provider: String, tokens: Int) {
        self.client.evaluate(
            SharedScripts.rateCorrect, keys: [self.keys.rate(provider)[0]], shared: [],
            item: ["\(-max(0, tokens))", "-1"]
        ) { _ in }
    }

    // MARK: - Budgets

    func reserve(_ reservation: SharedReservation) async -> SharedReservationDecision {
        guard !reservation.budgets.isEmpty else { return .admitted }
        guard self.client.isAvailable else { return .local }
        // Everything but the item is the same for every request of these budgets and periods: the client merges
        // the reservations of one round trip into one call.
        var keys: [String] = []
        var shared = ["\(reservation.budgets.count)"]
        for slot in reservation.budgets {
            keys += self.keys.budget(slot)
            let rule = slot.rule
            shared += [
                slot.limited ? "1" : "0", "\(rule.dailyUSD ?? -1)", "\(rule.monthlyUSD ?? -1)",
                "\(rule.dailyTokens ?? -1)", "\(rule.dailyRequests ?? -1)", "\(rule.rpm ?? -1)", "\(slot.day.end)",
                "\(slot.month.end)",
            ]
        }
        let item = [
            reservation.id, "\(reservation.microUSD)", "\(reservation.tokens)",
            "\(reservation.holdFor.redisMilliseconds)", reservation.countsAsRequest ? "1" : "0",
        ]
        let reply = await self.client.evaluate(SharedScripts.budgetReserve, keys: keys, shared: shared, item: item)
        guard case .success(let value) = reply, let parts = value.array, let first = parts.first?.integer else {
            return .local
        }
        if first == 1 { return .admitted }
        guard parts.count == 6, let index = parts[1].integer, let limit = parts[2].text,
            let spent = parts[3].integer, let held = parts[4].integer, let wait = parts[5].integer
        else { return .local }
        return .refused(index: Int(index) - 1, limit: limit, spent: Int(spent), reserved: Int(held), rpmWait: wait)
    }

    func settle(_ settlement: SharedSettlement) {
        guard !settlement.budgets.isEmpty else { return }
        var keys: [String] = []
        var shared = ["\(settlement.budgets.count)"]
        for slot in settlement.budgets {
            keys += self.keys.budget(slot).prefix(SharedKeys.settledKeysPerBudget)
            shared += ["\(slot.day.end)", "\(slot.month.end)"]
        }
        self.send(Backlog.Uncertain(settlement: settlement, keys: keys, shared: shared), again: false)
    }

    /// Sends a settlement (`again`: one whose first sending may have landed). What fails is kept for the next
    /// flush: summed when Redis certainly did not take it, or as it is when it may have.
    private func send(_ entry: Backlog.Uncertain, again: Bool) {
        let settlement = entry.settlement
        let item = [
            settlement.id, "\(settlement.microUSD)", "\(settlement.tokens)", "\(settlement.requests)", again ? "1" : "0",
        ]
        self.client.evaluate(SharedScripts.budgetSettle, keys: entry.keys, shared: entry.shared, item: item) {
            [weak self] result in
            guard case .failure(let failure) = result, let self else { return }
            switch failure {
            case .timeout, .connection:
                // Sent, perhaps applied: only a fleet-held reservation can tell (its hold is gone once settled).
                if settlement.requests == 0 || again {
                    self.keepUncertain(entry)
                } else {
                    // No hold to tell by (admitted while Redis was away): summed, so it may count twice if it did
                    // land — spend shown twice, never spend lost.
                    self.keep(settlement, keys: entry.keys)
                }
            case .unavailable, .server:
                // Never sent (the breaker) or refused before running (OOM, READONLY): merged once Redis answers.
                if again { self.keepUncertain(entry) } else { self.keep(settlement, keys: entry.keys) }
            }
        }
    }

    private func keepUncertain(_ entry: Backlog.Uncertain) {
        let kept = self.backlog.withLockedValue { backlog in
            guard backlog.uncertain.count < Self.largestUncertainBacklog
                || backlog.uncertain[entry.settlement.id] != nil
            else { return false }
            backlog.uncertain[entry.settlement.id] = entry
            return true
        }
        if !kept { self.keep(entry.settlement, keys: entry.keys) }
    }

    /// Budget periods and settlements waiting for Redis (`daemon.status` → `shared.pending_settlements`).
    var pendingSettlements: Int { self.backlog.withLockedValue { $0.count } }

    private func keep(_ settlement: SharedSettlement, keys: [String]) {
        let width = SharedKeys.settledKeysPerBudget
        self.backlog.withLockedValue { backlog in
            for (index, slot) in settlement.budgets.enumerated() {
                let key = Backlog.Key(keys: Array(keys[(index * width)..<(index * width + width)]))
                var sum = backlog.sums[key] ?? Backlog.Sum(dayEnd: slot.day.end, monthEnd: slot.month.end)
                sum.microUSD += settlement.microUSD
                sum.tokens += settlement.tokens
                sum.requests += settlement.requests
                backlog.sums[key] = sum
            }
            backlog.held[settlement.id] = (keys, settlement.budgets.map { ($0.day.end, $0.month.end) })
        }
    }

    /// Sends the merged backlog, one settlement per budget period; what fails stays for the next try.
    private func flushBacklog() {
        let taken = self.backlog.withLockedValue { backlog -> Backlog in
            defer { backlog = Backlog() }
            return backlog
        }
        guard taken.count > 0 else { return }
        for entry in taken.uncertain.values { self.send(entry, again: true) }
        for (key, sum) in taken.sums {
            let item = ["merge-\(self.instance)", "\(sum.microUSD)", "\(sum.tokens)", "\(sum.requests)", "0"]
            self.client.evaluate(
                SharedScripts.budgetSettle, keys: key.keys, shared: ["1", "\(sum.dayEnd)", "\(sum.monthEnd)"],
                item: item
            ) { [weak self] result in
                guard case .failure = result else { return }
                self?.backlog.withLockedValue { backlog in
                    var kept = backlog.sums[key] ?? Backlog.Sum(dayEnd: sum.dayEnd, monthEnd: sum.monthEnd)
                    kept.microUSD += sum.microUSD
                    kept.tokens += sum.tokens
                    kept.requests += sum.requests
                    backlog.sums[key] = kept
                }
            }
        }
        // Reservations made before the outage: freed by an empty settlement of each (their expiry would too).
        for (id, held) in taken.held {
            let shared = ["\(held.ends.count)"] + held.ends.flatMap { ["\($0.day)", "\($0.month)"] }
            self.client.evaluate(
                SharedScripts.budgetSettle, keys: held.keys, shared: shared, item: [id, "0", "0", "0", "0"]
            ) { _ in }
        }
    }

    // MARK: - Health probes

    func claimProbe(provider: String, model: String?, every interval: Duration) async -> Bool {
        guard self.client.isAvailable else { return true }
        let key = self.keys.healthProbe(provider: provider, model: model)
        // Held a little less than the interval, so that the holder's next turn finds it free.
        let hold = max(interval - interval / 10, .milliseconds(1))
        switch await self.client.command(["SET", key, self.instance, "NX", "PX", "\(hold.redisMilliseconds)"]) {
        case .success(.null): return false
        default: return true
        }
    }

    // MARK: - The L2 cache

    func cachedAnswer(_ key: CacheKey) async -> (answer: CachedAnswer, left: Duration)? {
        guard self.sharesCache,
            case .success(let reply) = await self.client.evaluate(
                SharedScripts.cacheGet, keys: [self.keys.cache(key)], arguments: []
            ), let parts = reply.array, parts.count == 2, case .string(let bytes) = parts[0],
            let left = parts[1].integer, left > 0, let answer = CachedAnswer(sharedEncoding: bytes)
        else { return nil }
        return (answer, .milliseconds(left))
    }

    func store(_ answer: CachedAnswer, for key: CacheKey, ttl: Duration) {
        guard self.sharesCache else { return }
        let bytes = answer.sharedEncoding
        guard bytes.count <= Self.largestCachedAnswer else { return }
        let milliseconds = min(ttl, Self.longestCacheTTL).redisMilliseconds
        self.client.command(
            bytes: [Array("SET".utf8), Array(self.keys.cache(key).utf8), bytes, Array("PX".utf8),
                Array("\(milliseconds)".utf8)]
        ) { _ in }
    }

    // MARK: - Marks

    func publish(_ mark: SharedMark) {
        let payload = Self.encode(mark, origin: self.instance)
        let milliseconds = mark.duration.redisMilliseconds
        if mark.kind == .closed {
            // The open mark is gone: a daemon starting now has nothing to adopt.
            let open = SharedMark(kind: .open, provider: mark.provider, model: mark.model, duration: .zero, reason: "")
            self.client.command(["DEL", self.keys.mark(open)]) { _ in }
        } else {
            self.client.command(["SET", self.keys.mark(mark), payload, "PX", "\(milliseconds)"]) { _ in }
        }
        self.client.command(["PUBLISH", self.keys.channel, payload]) { _ in }
    }

    static func encode(_ mark: SharedMark, origin: String) -> String {
        var object: [(String, JSONValue)] = [
            ("v", .number("1")), ("kind", .string(mark.kind.rawValue)), ("provider", .string(mark.provider)),
            ("ms", .number("\(mark.duration.redisMilliseconds)")), ("reason", .string(mark.reason)),
            ("origin", .string(origin)),
        ]
        if let model = mark.model { object.append(("model", .string(model))) }
        return String(decoding: JSONValue.object(JSONObject(object)).serialized(), as: UTF8.self)
    }

    static func decode(_ payload: [UInt8]) -> (SharedMark, origin: String)? {
        guard let value = try? JSONValue.parse(payload, maxDepth: 4), value["v"]?.intValue == 1,
            let kind = value["kind"]?.stringValue.flatMap(SharedMark.Kind.init(rawValue:)),
            let provider = value["provider"]?.stringValue, let milliseconds = value["ms"]?.intValue,
            let origin = value["origin"]?.stringValue
        else { return nil }
        let mark = SharedMark(
            kind: kind, provider: provider, model: value["model"]?.stringValue,
            duration: .milliseconds(milliseconds), reason: value["reason"]?.stringValue ?? ""
        )
        return (mark, origin)
    }

    /// Reads every mark still in its key (with the time it has left), for a daemon that (re)subscribes.
    private static func readMarks(
        client: RedisClient,
        keys: SharedKeys,
        instance: String,
        logger: Logger,
        adopt: @escaping @Sendable (SharedMark) -> Void
    ) {
        Task {
            var cursor = "0"
            let keys = keys
            repeat {
                guard case .success(let reply) = await client.command(
                    ["SCAN", cursor, "MATCH", keys.markPattern, "COUNT", "500"]
                ), let parts = reply.array, parts.count == 2, let next = parts[0].text, let found = parts[1].array
                else { return }
                cursor = next
                for key in found.compactMap(\.text) {
                    guard case .success(let value) = await client.command(["GET", key]),
                        case .string(let payload) = value,
                        case .success(let left) = await client.command(["PTTL", key]), let remaining = left.integer,
                        remaining > 0, let (decoded, origin) = Self.decode(payload), origin != instance
                    else { continue }
                    var mark = decoded
                    mark.duration = .milliseconds(remaining)
                    adopt(mark)
                }
            } while cursor != "0"
            logger.debug("shared state: marks read after subscribing")
        }
    }
}
