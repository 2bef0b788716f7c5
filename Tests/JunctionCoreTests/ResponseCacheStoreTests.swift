import JunctionCore
import Testing

@Suite struct ResponseCacheStoreTests {
    let start = ContinuousClock.now

    func answer(_ text: String, model: String = "m", namespace: String? = nil) -> CachedAnswer {
        CachedAnswer(
            text: text, finishReason: .stop, model: model, usage: Usage(promptTokens: 3, completionTokens: 2),
            target: TargetRef(provider: "p", model: model), namespace: namespace, costMicroUSD: 10
        )
    }

    func key(_ prompt: String) -> CacheKey {
        CacheKey(ChatRequest(messages: [ChatMessage(role: .user, content: prompt)]), target: "p:m", partition: "uid:1")
    }

    @Test func aFreshEntryIsFoundUntilItsTTL() {
        var store = ResponseCacheStore(maxBytes: 1 << 20, staleWindow: .zero)
        store.insert(self.answer("a"), for: self.key("a"), ttl: .seconds(10), at: self.start)
        #expect(store.lookup(self.key("a"), at: self.start + .seconds(9)) != .miss)
        #expect(store.lookup(self.key("b"), at: self.start) == .miss)
        // No stale window: an expired entry is gone.
        #expect(store.lookup(self.key("a"), at: self.start + .seconds(10)) == .miss)
        #expect(store.count == 0)
        #expect(store.bytes == 0)
    }

    @Test func maxAgeRejectsAnOlderEntryWithoutDroppingIt() {
        var store = ResponseCacheStore(maxBytes: 1 << 20, staleWindow: .zero)
        store.insert(self.answer("a"), for: self.key("a"), ttl: .seconds(60), at: self.start)
        #expect(store.lookup(self.key("a"), at: self.start + .seconds(5), maxAge: .seconds(4)) == .expired)
        #expect(store.lookup(self.key("a"), at: self.start + .seconds(5), maxAge: .seconds(5)) != .miss)
    }

    @Test func anExpiredEntryServesStaleOnlyInsideTheWindow() {
        var store = ResponseCacheStore(maxBytes: 1 << 20, staleWindow: .seconds(100))
        store.insert(self.answer("a"), for: self.key("a"), ttl: .seconds(10), at: self.start)
        #expect(store.lookup(self.key("a"), at: self.start + .seconds(50)) == .expired)
        #expect(store.stale(self.key("a"), at: self.start + .seconds(109))?.answer.text == "a")
        #expect(store.stale(self.key("a"), at: self.start + .seconds(110)) == nil)
        #expect(store.count == 0)
    }

    @Test func leastRecentlyUsedGoesFirstWhenTheBytesRunOut() {
        let size = self.answer("aaaa").bytes
        var store = ResponseCacheStore(maxBytes: 3 * size, staleWindow: .zero)
        for name in ["aaaa", "bbbb", "cccc"] {
            store.insert(self.answer(name), for: self.key(name), ttl: .seconds(60), at: self.start)
        }
        // Reading "aaaa" makes "bbbb" the least recently used.
        #expect(store.lookup(self.key("aaaa"), at: self.start) != .miss)
        store.insert(self.answer("dddd"), for: self.key("dddd"), ttl: .seconds(60), at: self.start)
        #expect(store.lookup(self.key("bbbb"), at: self.start) == .miss)
        #expect(store.lookup(self.key("aaaa"), at: self.start) != .miss)
        #expect(store.lookup(self.key("cccc"), at: self.start) != .miss)
        #expect(store.evictions == 1)
        #expect(store.bytes == 3 * size)
    }

    @Test func theByteBudgetHoldsUnderManyUniqueEntries() {
        var store = ResponseCacheStore(maxBytes: 100_000, staleWindow: .seconds(60))
        for index in 0..<5_000 {
            store.insert(self.answer(String(repeating: "x", count: index % 300)), for: self.key("\(index)"),
                ttl: .seconds(60), at: self.start)
            #expect(store.bytes <= 100_000)
        }
        #expect(store.evictions > 0)
    }

    @Test func anAnswerBiggerThanTheBudgetIsNotStored() {
        var store = ResponseCacheStore(maxBytes: 400, staleWindow: .zero)
        let stored = store.insert(
            self.answer(String(repeating: "x", count: 500)), for: self.key("a"), ttl: .seconds(1), at: self.start
        )
        #expect(!stored)
        #expect(store.count == 0)
    }

    @Test func replacingAnEntryKeepsTheBytesRight() {
        var store = ResponseCacheStore(maxBytes: 1 << 20, staleWindow: .zero)
        store.insert(self.answer("short"), for: self.key("a"), ttl: .seconds(60), at: self.start)
        store.insert(self.answer("a longer text"), for: self.key("a"), ttl: .seconds(60), at: self.start)
        #expect(store.count == 1)
        #expect(store.bytes == self.answer("a longer text").bytes)
    }

    @Test func clearByNamespaceOrModel() {
        var store = ResponseCacheStore(maxBytes: 1 << 20, staleWindow: .zero)
        store.insert(self.answer("1", model: "m1", namespace: "x"), for: self.key("1"), ttl: .seconds(60), at: self.start)
        store.insert(self.answer("2", model: "m2", namespace: "x"), for: self.key("2"), ttl: .seconds(60), at: self.start)
        store.insert(self.answer("3", model: "m1"), for: self.key("3"), ttl: .seconds(60), at: self.start)
        #expect(store.removeAll { $0.namespace == "x" && $0.target.model == "m1" } == 1)
        #expect(store.removeAll { $0.target.model == "m1" } == 1)
        #expect(store.count == 1)
        #expect(store.lookup(self.key("2"), at: self.start) != .miss)
    }

    @Test func shrinkingTheBudgetEvictsAtOnce() {
        var store = ResponseCacheStore(maxBytes: 1 << 20, staleWindow: .zero)
        for index in 0..<10 {
            store.insert(self.answer("\(index)"), for: self.key("\(index)"), ttl: .seconds(60), at: self.start)
        }
        store.setLimits(maxBytes: 2 * self.answer("0").bytes, staleWindow: .zero)
        #expect(store.count == 2)
        #expect(store.lookup(self.key("9"), at: self.start) != .miss)
        #expect(store.lookup(self.key("0"), at: self.start) == .miss)
    }

    @Test func deltasReplayAtTheirBoundaries() {
        var answer = self.answer("Hello, wörld!")
        answer.deltaEnds = [5, 7, 14]
        #expect(answer.deltas == ["Hello", ", ", "wörld!"])
        answer.deltaEnds = []
        #expect(answer.deltas == ["Hello, wörld!"])
    }
}

@Suite struct CacheKeyTests {
    func chat(_ configure: (inout ChatRequest) -> Void = { _ in }) -> ChatRequest {
        var chat = ChatRequest(messages: [ChatMessage(role: .user, content: "hi")], system: "be brief")
        chat.temperature = 0
        configure(&chat)
        return chat
    }

    func key(_ chat: ChatRequest, target: String = "p:m", partition: String = "uid:1") -> CacheKey {
        CacheKey(chat, target: target, partition: partition)
    }

    @Test func everyFieldThatChangesTheAnswerChangesTheKey() {
        let base = self.key(self.chat())
        let variants: [ChatRequest] = [
            self.chat { $0.messages[0].content = "hi!" },
            self.chat { $0.messages[0].role = .assistant },
            self.chat { $0.system = nil },
            self.chat { $0.maxTokens = 10 },
            self.chat { $0.temperature = 0.5 },
            self.chat { $0.topP = 0.9 },
            self.chat { $0.stop = ["x"] },
            self.chat { $0.seed = 7 },
            self.chat { $0.thinkingBudget = 1024 },
            self.chat { $0.responseFormat = .jsonObject },
            self.chat { $0.responseFormat = .jsonSchema(JSONSchemaFormat(name: "a", schema: ["type": "object"])) },
            self.chat { $0.messages.append(ChatMessage(role: .user, content: "")) },
        ]
        var keys = Set([base])
        for variant in variants { keys.insert(self.key(variant)) }
        #expect(keys.count == variants.count + 1)
        #expect(self.key(self.chat(), target: "p:n") != base)
        #expect(self.key(self.chat(), partition: "uid:2") != base)
    }

    @Test func metadataStreamAndKeepMarksAreNotPartOfIt() {
        let base = self.key(self.chat())
        #expect(self.key(self.chat { $0.metadata = ["trace": "1"] }) == base)
        #expect(self.key(self.chat { $0.stream = true }) == base)
        #expect(self.key(self.chat { $0.messages[0].keep = true }) == base)
        #expect(self.key(self.chat { $0.temperature = -0.0 }) == base)
        #expect(self.key(self.chat { $0.model = "other" }) == base)
    }

    @Test func theSchemaCountsByValueNotBySpelling() throws {
        let one = try JSONValue.parse(Array(#"{"type":"object","properties":{"a":{"maximum":1.0},"b":{}}}"#.utf8))
        let two = try JSONValue.parse(Array(#"{ "properties": { "b": {}, "a": { "maximum": 1 } }, "type": "object" }"#.utf8))
        let three = try JSONValue.parse(Array(#"{"type":"object","properties":{"a":{"maximum":2},"b":{}}}"#.utf8))
        func with(_ schema: JSONValue) -> CacheKey {
            self.key(self.chat { $0.responseFormat = .jsonSchema(JSONSchemaFormat(name: "s", schema: schema)) })
        }
        #expect(with(one) == with(two))
        #expect(with(one) != with(three))
    }

    @Test func fieldBoundariesCannotBeShifted() {
        // "ab" + "c" and "a" + "bc" must not collide.
        let one = self.key(self.chat { $0.messages = [.init(role: .user, content: "ab"), .init(role: .user, content: "c")] })
        let two = self.key(self.chat { $0.messages = [.init(role: .user, content: "a"), .init(role: .user, content: "bc")] })
        #expect(one != two)
        #expect(self.key(self.chat(), partition: "uid:1\u{0}x") != self.key(self.chat(), partition: "uid:1"))
    }

    @Test func theHexFormHas64Digits() {
        #expect(self.key(self.chat()).description.count == 64)
    }
}
