import JunctionCore
import JunctionProviders
import JunctionTesting
import NIOConcurrencyHelpers
import Testing

@testable import JunctionDaemon

/// The response cache in the gateway, in-process: tenants by uid, the shared switch, what is stored, and the
/// stale window on the manual clock.
@Suite("Gateway cache in-process")
struct GatewayCacheTests {
    static func config(_ cache: String = "") -> String {
        """
        [defaults.retry]
        max_retries = 0
        [providers.a]
        kind = "openai-compatible"
        base_url = "http://a.test/v1"
        [[providers.a.models]]
        id = "m"
        [cache]
        ttl = "10s"
        stale_if_error = "60s"
        \(cache)
        """
    }

    func ask(_ harness: GatewayHarness, uid: UInt32 = 1, options: CacheRequestOptions = CacheRequestOptions()) async
        -> Result<GenerateResult, any Error>
    {
        var chat = ChatRequest(messages: [ChatMessage(role: .user, content: "hello")], model: "a:m")
        chat.temperature = 0
        let request = GenerateRequest(chat: chat, caller: PeerCredentials(uid: uid, gid: uid, pid: 1), cache: options)
        do {
            return .success(try await harness.gateway.generate(request, events: nil))
        } catch {
            return .failure(error)
        }
    }

    @Test func oneUidNeverSeesAnothersEntry() async throws {
        let harness = try GatewayHarness(Self.config())
        harness.executor.on("http://a.test", .json(200, OpenAIBodies.completion("for uid 1")), .json(200, OpenAIBodies.completion("for uid 2")))
        #expect(try await self.ask(harness, uid: 1).get().completion.text == "for uid 1")
        let other = try await self.ask(harness, uid: 2).get()
        #expect(other.completion.text == "for uid 2")
        #expect(other.details.served == nil)
        #expect(try await self.ask(harness, uid: 1).get().details.served == .hit)
        #expect(try await self.ask(harness, uid: 2).get().completion.text == "for uid 2")
        #expect(harness.executor.count("http://a.test") == 2)
    }

    @Test func sharedMakesOneCacheForEveryone() async throws {
        let harness = try GatewayHarness(Self.config("shared = true"))
        harness.executor.on("http://a.test", .json(200, OpenAIBodies.completion("once")))
        _ = try await self.ask(harness, uid: 1).get()
        let other = try await self.ask(harness, uid: 2).get()
        #expect(other.details.served == .hit)
        #expect(other.completion.text == "once")
        // A namespace still partitions a shared cache.
        harness.executor.replace("http://a.test", .json(200, OpenAIBodies.completion("in ns")))
        let spaced = try await self.ask(harness, uid: 2, options: CacheRequestOptions(namespace: "x")).get()
        #expect(spaced.details.served == nil)
        #expect(spaced.completion.text == "in ns")
        #expect(harness.executor.count("http://a.test") == 2)
    }

    @Test func aHitCostsNothingAndTheOutcomeSaysWhatItSaved() async throws {
        let harness = try GatewayHarness(Self.config())
        harness.executor.on("http://a.test", .json(200, OpenAIBodies.completion()))
        let paid = try await self.ask(harness).get()
        let hit = try await self.ask(harness).get()
        #expect(hit.attempts.isEmpty)
        #expect(hit.cost.total == 0)
        #expect(hit.usage == paid.usage)
        #expect(hit.details.savedMicroUSD == paid.cost.total)
        let outcomes = harness.recorder.requestOutcomes
        #expect(outcomes.count == 2)
        #expect(outcomes.last?.cost.total == 0)
    }

    @Test func theStaleWindowIsCountedFromExpiry() async throws {
        let harness = try GatewayHarness(Self.config())
        harness.executor.on("http://a.test", .json(200, OpenAIBodies.completion("old")))
        _ = try await self.ask(harness).get()
        harness.executor.replace("http://a.test", .json(503, OpenAIBodies.error(503)))
        // 10 s fresh + 60 s stale: at 69 s it still answers; at 71 s it is gone.
        harness.clock.advance(by: .seconds(69))
        let stale = try await self.ask(harness).get()
        #expect(stale.details.served == .stale)
        #expect(stale.completion.text == "old")
        #expect(stale.attempts.count == 1)
        harness.clock.advance(by: .seconds(2))
        let failed = await self.ask(harness)
        #expect((try? failed.get()) == nil)
        #expect(harness.cache.stats.staleServes == 1)
    }

    /// A streamed answer with reasoning: the hit replays the same deltas and keeps the reasoning and the usage.
    @Test func aStreamedHitKeepsReasoningUsageAndDeltaBoundaries() async throws {
        let harness = try GatewayHarness(Self.config())
        let events = [
            #"{"choices":[{"index":0,"delta":{"reasoning_content":"Think "}}]}"#,
            #"{"choices":[{"index":0,"delta":{"reasoning_content":"first."}}]}"#,
        ] + OpenAIBodies.streamChunks(["Hel", "lo", " wörld"])
        harness.executor.on("http://a.test", .events(events))
        func ask() async throws -> (GenerateResult, [GenerateEvent]) {
            var chat = ChatRequest(messages: [ChatMessage(role: .user, content: "hello")], model: "a:m")
            chat.temperature = 0
            chat.stream = true
            let seen = NIOLockedValueBox<[GenerateEvent]>([])
            let result = try await harness.gateway.generate(
                GenerateRequest(chat: chat, caller: PeerCredentials(uid: 1, gid: 1, pid: 1)),
                events: { event in seen.withLockedValue { $0.append(event) } }
            )
            return (result, seen.withLockedValue { $0 }.filter { if case .delta = $0 { true } else { false } })
        }
        let (paid, paidDeltas) = try await ask()
        let (hit, hitDeltas) = try await ask()
        #expect(paid.details.served == nil)
        #expect(hit.details.served == .hit)
        #expect(paid.completion.reasoning == "Think first.")
        #expect(hit.completion.reasoning == "Think first.")
        #expect(hit.usage == paid.usage)
        #expect(hitDeltas == paidDeltas)
        #expect(hitDeltas.count == 3)
        #expect(harness.executor.count("http://a.test") == 1)
    }
}
