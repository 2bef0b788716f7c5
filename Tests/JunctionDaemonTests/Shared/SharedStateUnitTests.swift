import JunctionCore
import JunctionShared
import Testing

@testable import JunctionDaemon

@Suite("Redis endpoints")
struct RedisEndpointTests {
    @Test func urlsThatAreAccepted() throws {
        #expect(try RedisEndpoint.parse("redis://127.0.0.1:6379/0") == RedisEndpoint(address: .tcp(host: "127.0.0.1", port: 6379)))
        #expect(try RedisEndpoint.parse("redis://cache.internal") == RedisEndpoint(address: .tcp(host: "cache.internal", port: 6379)))
        #expect(try RedisEndpoint.parse("redis://[::1]:7000/3") == RedisEndpoint(address: .tcp(host: "::1", port: 7000), database: 3))
        #expect(
            try RedisEndpoint.parse("redis://junction@10.0.0.5:6380/2")
                == RedisEndpoint(address: .tcp(host: "10.0.0.5", port: 6380), database: 2, username: "junction")
        )
        #expect(try RedisEndpoint.parse("unix:///run/redis/redis.sock") == RedisEndpoint(address: .unix(path: "/run/redis/redis.sock")))
        #expect(try RedisEndpoint.parse("unix:///run/r.sock?db=4") == RedisEndpoint(address: .unix(path: "/run/r.sock"), database: 4))
        #expect(try RedisEndpoint.parse("redis://[::1]:7000/3").description == "redis://[::1]:7000/3")
        let sentinel = try RedisEndpoint.parse("redis+sentinel://s1,s2:26380,[::1]:26381/mymaster/2")
        #expect(
            sentinel
                == RedisEndpoint(
                    address: .sentinel(
                        hosts: [
                            .init(host: "s1", port: 26379), .init(host: "s2", port: 26380), .init(host: "::1", port: 26381),
                        ],
                        master: "mymaster"
                    ),
                    database: 2
                )
        )
        #expect(sentinel.description == "redis+sentinel://s1:26379,s2:26380,[::1]:26381/mymaster/2")
    }

    @Test func urlsThatAreRefusedSayWhy() {
        let cases: [(String, String)] = [
            ("http://localhost:6379", "expected redis://"),
            ("redis://:6379", "names no host"),
            ("redis://host:99999", "between 1 and 65535"),
            ("redis://host:port", "the port is a number"),
            ("redis://host/zero", "database number"),
            ("unix://relative.sock", "absolute path"),
            ("rediss://host:6380", "hiredis_ssl"),
            ("redis+sentinel://a,b", "name the master"),
            ("redis+sentinel://a:x/mymaster", "a sentinel's port is a number"),
            ("redis+sentinel://a/mymaster/zero", "a database number"),
        ]
        for (url, problem) in cases {
            do {
                _ = try RedisEndpoint.parse(url)
                Issue.record("\(url) was accepted")
            } catch {
                #expect(error.problem.contains(problem), "\(url): \(error.problem)")
            }
        }
    }

    @Test func aPasswordInTheURLIsRefusedAndNeverRepeated() {
        do {
            _ = try RedisEndpoint.parse("redis://user:hunter2@host:6379/0")
            Issue.record("a password in the URL was accepted")
        } catch {
            #expect(error.problem.contains("password_env"))
            #expect(!error.description.contains("hunter2"))
            #expect(error.url == "redis://***@host:6379/0")
        }
    }
}

@Suite("Shared state messages and entries")
struct SharedEncodingTests {
    @Test func aMarkRoundTripsAndNamesItsOrigin() throws {
        let mark = SharedMark(
            kind: .open, provider: "openai", model: "gpt-4o:mini|x", duration: .milliseconds(30_000),
            reason: "3 consecutive failures (last: 503)"
        )
        let payload = RedisSharedState.encode(mark, origin: "abc")
        let (decoded, origin) = try #require(RedisSharedState.decode(Array(payload.utf8)))
        #expect(decoded == mark)
        #expect(origin == "abc")
        let provider = SharedMark(kind: .quota, provider: "gemini", model: nil, duration: .seconds(60), reason: "")
        #expect(RedisSharedState.decode(Array(RedisSharedState.encode(provider, origin: "o").utf8))?.0 == provider)
    }

    @Test func foreignOrNewerMessagesAreIgnored() {
        #expect(RedisSharedState.decode(Array("not json".utf8)) == nil)
        #expect(RedisSharedState.decode(Array(#"{"v":2,"kind":"open","provider":"p","ms":1,"origin":"o"}"#.utf8)) == nil)
        #expect(RedisSharedState.decode(Array(#"{"v":1,"kind":"explode","provider":"p","ms":1,"origin":"o"}"#.utf8)) == nil)
    }

    @Test func aCachedAnswerRoundTripsWithEverythingAHitNeeds() throws {
        let answer = CachedAnswer(
            text: "héllo wörld", reasoning: "thought", finishReason: .length, model: "gpt-4o-2024",
            usage: Usage(promptTokens: 10, completionTokens: 5, cachedTokens: 2, cacheWriteTokens: 1, cacheWrite1hTokens: 1, reasoningTokens: 3),
            usageEstimated: true, deltaEnds: [3, 7, 13], target: TargetRef(provider: "openai", model: "gpt-4o"),
            namespace: "team", costMicroUSD: 1234, json: ["a": [1, 2]]
        )
        #expect(CachedAnswer(sharedEncoding: answer.sharedEncoding) == answer)
        let plain = CachedAnswer(
            text: "x", finishReason: .stop, model: "", usage: Usage(), target: TargetRef(provider: "p", model: "m")
        )
        #expect(CachedAnswer(sharedEncoding: plain.sharedEncoding) == plain)
        #expect(CachedAnswer(sharedEncoding: Array(#"{"v":1,"text":"x"}"#.utf8)) == nil)
    }
}

@Suite("[shared] configuration")
struct SharedConfigTests {
    private func load(_ text: String, environment: [String: String] = [:]) throws(ConfigErrors) -> DaemonConfig {
        try ConfigLoader.parse(text: text, file: "junction.toml", environment: environment).config
    }

    @Test func theTableIsReadWithItsDefaults() throws {
        let config = try self.load("[shared]\nredis = \"redis://10.0.0.5:6380/1\"\n")
        let shared = try #require(config.shared)
        #expect(shared.endpoint == RedisEndpoint(address: .tcp(host: "10.0.0.5", port: 6380), database: 1))
        #expect(shared.prefix == "junction:")
        #expect(shared.timeout == .milliseconds(50))
        #expect(shared.cache == false)
        #expect(shared.password == nil)
        #expect(try self.load("").shared == nil)
    }

    @Test func everyKey() throws {
        let config = try self.load(
            "[shared]\nredis = \"unix:///run/redis.sock\"\nprefix = \"junction:prod:\"\ntimeout = \"20ms\"\n"
                + "cache = true\npassword_env = \"REDIS_PASSWORD\"\n"
        )
        let shared = try #require(config.shared)
        #expect(shared.prefix == "junction:prod:")
        #expect(shared.timeout == .milliseconds(20))
        #expect(shared.cache)
        #expect(shared.password == .environment("REDIS_PASSWORD"))
    }

    @Test func redisURLInTheEnvironmentEnablesSharedModeWithoutATable() throws {
        let shared = try #require(try self.load("", environment: ["REDIS_URL": "redis://127.0.0.1:6379/0"]).shared)
        #expect(shared.fromEnvironment)
        #expect(shared.endpoint == RedisEndpoint(address: .tcp(host: "127.0.0.1", port: 6379)))
        // A table wins over the environment.
        let table = try self.load("[shared]\nredis = \"redis://a:1\"\n", environment: ["REDIS_URL": "redis://b:2"])
        #expect(table.shared?.endpoint == RedisEndpoint(address: .tcp(host: "a", port: 1)))
    }

    @Test func problemsSayWhatToDo() {
        let cases: [(String, String)] = [
            ("[shared]\nprefix = \"x\"\n", "shared.redis: is missing: name the server"),
            ("[shared]\nredis = \"localhost\"\n", "expected redis://"),
            ("[shared]\nredis = \"redis://h\"\ntimeout = \"10s\"\n", "between 1ms and 5s"),
            ("[shared]\nredis = \"redis://h\"\nprefix = \"has space\"\n", "without spaces"),
            ("[shared]\nredis = \"redis://h\"\npassword = \"inline\"\n", "password"),
            ("[shared]\nredis = \"redis://h\"\npassword_env = \"A\"\npassword_file = \"/p\"\n", "only one of"),
            ("[shared]\nredis = \"redis://h\"\npassword_file = \"relative\"\n", "absolute path"),
        ]
        for (text, problem) in cases {
            do {
                _ = try self.load(text)
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.problems.contains { $0.description.contains(problem) }, "\(text): \(error.problems)")
            }
        }
        do {
            _ = try self.load("", environment: ["REDIS_URL": "redis://user:secret@h:1/0"])
            Issue.record("a password in REDIS_URL was accepted")
        } catch {
            #expect(error.problems.contains { $0.description.contains("REDIS_URL") })
            #expect(!error.problems.contains { $0.description.contains("secret") })
        }
    }
}

@Suite("Marks for the fleet")
struct SharedMarkTests {
    private func answered(_ limits: RateLimitSnapshot) -> AttemptOutcome {
        AttemptOutcome(
            target: TargetRef(provider: "openai", model: "gpt-4o"), number: 1, wait: .zero, started: .now, ended: .now,
            estimatedTokens: 10, probes: [],
            result: .answered(AttemptOutcome.Answer(status: 200, latency: .milliseconds(5), totalTokens: 10, rateLimits: limits))
        )
    }

    @Test func anAnswerWithNothingLeftBlocksTheTargetForTheFleet() {
        var limits = RateLimitSnapshot()
        limits.requestsRemaining = 0
        limits.requestsReset = .seconds(2)
        limits.tokensRemaining = 0
        limits.tokensReset = .seconds(7)
        let marks = Resilience.marks(of: self.answered(limits), policy: ProviderPolicy())
        #expect(marks.count == 1)
        #expect(marks.first?.kind == .blocked)
        #expect(marks.first?.model == "gpt-4o")
        #expect(marks.first?.duration == .seconds(7))
    }

    @Test func anAnswerWithRoomLeftPublishesNothing() {
        var limits = RateLimitSnapshot()
        limits.requestsRemaining = 3
        limits.requestsReset = .seconds(2)
        #expect(Resilience.marks(of: self.answered(limits), policy: ProviderPolicy()).isEmpty)
        #expect(Resilience.marks(of: self.answered(RateLimitSnapshot()), policy: ProviderPolicy()).isEmpty)
    }
}
