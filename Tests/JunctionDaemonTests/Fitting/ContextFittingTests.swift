import JunctionCore
import JunctionProviders
import JunctionTesting
import Testing

@testable import JunctionDaemon

/// The per-attempt fitting stage against the fake executor and the manual clock: when it counts, what it does
/// with the count, and what it does when counting fails.
@Suite("Context fitting stage")
struct ContextFittingTests {
    private let clock = ManualClock()
    private let executor: FakeHTTPExecutor
    private let fitting: ContextFitting
    private let registry: ProviderRegistry

    private static let countURL = "https://api.anthropic.com/v1/messages/count_tokens"

    /// Window 1000 and max output 100 (so a reserve of 100) for "small" on a provider with a count endpoint
    /// (anthropic) and one without (openai).
    init() throws {
        let toml = """
            [providers.anthropic]
            api_key_env = "K"
            [[providers.anthropic.models]]
            id = "small"
            context_window = 1000
            max_output_tokens = 100
            [providers.openai]
            api_key_env = "K"
            [[providers.openai.models]]
            id = "small"
            context_window = 1000
            max_output_tokens = 100
            [providers.local]
            kind = "openai-compatible"
            base_url = "http://127.0.0.1:9/v1"
            [providers.keyless]
            kind = "anthropic"
            api_key_env = "MISSING"
            [[providers.keyless.models]]
            id = "small"
            context_window = 1000
            """
        let config = try ConfigLoader.parse(text: toml, file: "test.toml").config
        self.registry = ProviderRegistry(config: config, environment: ["K": "test-key"])
        self.executor = FakeHTTPExecutor(clock: self.clock)
        self.fitting = ContextFitting(executor: self.executor, clock: self.clock)
    }

    /// A message of `tokens` estimated tokens (4 of them the message's overhead).
    private static func message(_ role: ChatMessage.Role, _ name: String, tokens: Int) -> ChatMessage {
        ChatMessage(role: role, content: name + String(repeating: "x", count: (tokens - 4) * 4 - name.count))
    }

    /// 850 estimated tokens: 935 with the margin, which with the reserve of 100 exceeds the window of 1000.
    /// Without its first turn, 250.
    private let nearTheLimit = ChatRequest(
        messages: [
            Self.message(.user, "u1", tokens: 400), Self.message(.assistant, "a1", tokens: 200),
            Self.message(.user, "u2", tokens: 250),
        ]
    )

    private func fit(
        _ chat: ChatRequest,
        mode: FitMode = .truncateOldest,
        on provider: String = "anthropic",
        model: String = "small",
        deadline: Duration = .seconds(60)
    ) async throws -> ContextFitResult {
        let target = TargetRef(provider: provider, model: model)
        let provider = try #require(self.registry.provider(named: provider))
        return await self.fitting.fit(
            chat, mode: mode, target: target, provider: provider, deadline: self.clock.now + deadline
        )
    }

    private var trimmedToTheLastTurn: ChatRequest {
        var chat = self.nearTheLimit
        chat.messages = [chat.messages[2]]
        return chat
    }

    @Test func theNearLimitPromptIsWhatItSays() {
        #expect(self.nearTheLimit.estimatedPromptTokens == 850)
        #expect(ChatRequest(messages: [self.nearTheLimit.messages[2]]).estimatedPromptTokens == 250)
    }

    // MARK: The cheap path

    @Test func aPromptThatFitsByTheEstimateIsSentWithoutACount() async throws {
        let chat = ChatRequest(messages: [ChatMessage(role: .user, content: "hello")])
        #expect(try await self.fit(chat) == .send(chat, trimmed: 0, promptTokensEstimated: 6))
        #expect(self.executor.sent.isEmpty)
    }

    @Test func anUnknownWindowSendsTheChatAsItIs() async throws {
        #expect(
            try await self.fit(self.nearTheLimit, on: "local", model: "m") == .unknownWindow(self.nearTheLimit)
        )
        #expect(self.executor.sent.isEmpty)
    }

    // MARK: The exact count

    @Test func nearTheLimitOneCountDecides() async throws {
        self.executor.on(Self.countURL, .json(200, #"{"input_tokens":700}"#))
        #expect(
            try await self.fit(self.nearTheLimit) == .send(self.nearTheLimit, trimmed: 0, promptTokensEstimated: 700)
        )
        #expect(self.executor.count(Self.countURL) == 1)
        #expect(self.executor.sent.count == 1)
        // Bounded by the short count timeout, not the request's minute.
        #expect(self.executor.sent.first?.timeouts.overall == .seconds(5))
    }

    @Test func anExactCountScalesTheTrimming() async throws {
        // 1200 exact for 850 estimated: the last turn (250) counts 353.
        self.executor.on(Self.countURL, .json(200, #"{"input_tokens":1200}"#))
        #expect(
            try await self.fit(self.nearTheLimit)
                == .send(self.trimmedToTheLastTurn, trimmed: 2, promptTokensEstimated: 353)
        )
    }

    @Test func theCountIsBoundedByTheRequestsDeadline() async throws {
        self.executor.on(Self.countURL, .json(200, #"{"input_tokens":700}"#))
        _ = try await self.fit(self.nearTheLimit, deadline: .seconds(2))
        #expect(self.executor.sent.first?.timeouts.overall == .seconds(2))
        // No time left: no count; the estimate with its margin decides.
        #expect(
            try await self.fit(self.nearTheLimit, deadline: .zero)
                == .send(self.trimmedToTheLastTurn, trimmed: 2, promptTokensEstimated: 250)
        )
        #expect(self.executor.sent.count == 1)
    }

    // MARK: Count failures fall back to the estimate

    @Test func aFailedCountFallsBackToTheEstimateWithItsMargin() async throws {
        let replies: [FakeHTTPExecutor.Reply] = [
            .json(500, #"{"error":{"message":"overloaded"}}"#),
            .failing(.connectRefused, "refused"),
            .json(200, #"{"unexpected":true}"#),
            // Slower than the count timeout.
            .json(200, #"{"input_tokens":700}"#, latency: .seconds(10)),
        ]
        for reply in replies {
            self.executor.replace(Self.countURL, reply)
            #expect(
                try await self.fit(self.nearTheLimit)
                    == .send(self.trimmedToTheLastTurn, trimmed: 2, promptTokensEstimated: 250),
                "\(reply.status)"
            )
        }
        #expect(self.executor.count(Self.countURL) == replies.count)
        // The slow one was given up at the timeout.
        #expect(self.clock.elapsed < .seconds(6))
    }

    @Test func noCountEndpointOrNoKeyMeansNoCountRequest() async throws {
        #expect(
            try await self.fit(self.nearTheLimit, on: "openai")
                == .send(self.trimmedToTheLastTurn, trimmed: 2, promptTokensEstimated: 250)
        )
        // keyless: window 1000, max output unknown, so a reserve of a quarter of the window.
        #expect(
            try await self.fit(self.nearTheLimit, on: "keyless")
                == .send(self.trimmedToTheLastTurn, trimmed: 2, promptTokensEstimated: 250)
        )
        #expect(self.executor.sent.isEmpty)
    }

    // MARK: Modes

    @Test func errorAndFailOverNeverChangeTheChat() async throws {
        for mode in [FitMode.error, .failOver] {
            self.executor.replace(Self.countURL, .json(500, "{}"))
            #expect(
                try await self.fit(self.nearTheLimit, mode: mode)
                    == .tooLarge(promptTokens: 850, window: 1000, reserve: 100)
            )
            self.executor.replace(Self.countURL, .json(200, #"{"input_tokens":700}"#))
            #expect(
                try await self.fit(self.nearTheLimit, mode: mode)
                    == .send(self.nearTheLimit, trimmed: 0, promptTokensEstimated: 700)
            )
        }
    }

    @Test func truncateOldestReportsWhatCannotFitEvenTrimmed() async throws {
        var chat = self.nearTheLimit
        chat.maxTokens = 900
        self.executor.on(Self.countURL, .json(200, #"{"input_tokens":850}"#))
        #expect(try await self.fit(chat) == .tooLarge(promptTokens: 850, window: 1000, reserve: 900))
    }

    @Test func builtInWindowsCountWhenNoneIsConfigured() async throws {
        var chat = ChatRequest(messages: [ChatMessage(role: .user, content: "hello")])
        chat.maxTokens = 199_995
        self.executor.on(Self.countURL, .json(500, "{}"))
        // claude-haiku-4-5's built-in window is 200,000: 6 tokens (7 with the margin) and 199,995 exceed it.
        #expect(
            try await self.fit(chat, mode: .error, model: "claude-haiku-4-5")
                == .tooLarge(promptTokens: 6, window: 200_000, reserve: 199_995)
        )
        chat.maxTokens = 199_993
        #expect(
            try await self.fit(chat, mode: .error, model: "claude-haiku-4-5")
                == .send(chat, trimmed: 0, promptTokensEstimated: 6)
        )
        #expect(self.executor.count(Self.countURL) == 1)
    }
}
