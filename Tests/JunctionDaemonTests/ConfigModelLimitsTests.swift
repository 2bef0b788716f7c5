import JunctionCore
import Testing

@testable import JunctionDaemon

/// `context_window` and `max_output_tokens` of `[[providers.NAME.models]]`, their merge with the built-in
/// limits, and who uses them: routing, budgets, `providers.list`.
@Suite("Configured model limits")
struct ConfigModelLimitsTests {
    private func loaded(_ text: String) throws -> ActiveConfiguration {
        ActiveConfiguration(loaded: try ConfigLoader.parse(text: text, file: "test.toml"), environment: [:])
    }

    private func problems(_ text: String) -> [String] {
        do {
            _ = try ConfigLoader.parse(text: text, file: "test.toml")
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    private func provider(_ text: String) throws -> ProviderRegistry.Provider {
        try #require(try self.loaded(text).registry.providers.first)
    }

    private let anthropic = """
        [providers.anthropic]
        api_key_env = "K"
        [[providers.anthropic.models]]
        id = "claude-haiku-4-5"
        max_output_tokens = 8000
        [[providers.anthropic.models]]
        id = "claude-sonnet-4-5"
        context_window = 150000
        [[providers.anthropic.models]]
        id = "my-claude"
        context_window = 50000
        """

    // MARK: Reading

    @Test func readsMaxOutputTokensBesideTheWindow() throws {
        let config = try ConfigLoader.parse(text: self.anthropic, file: "test.toml").config
        let models = try #require(config.providers.first?.models)
        #expect(models.map(\.maxOutputTokens) == [8000, nil, nil])
        #expect(models.map(\.contextWindow) == [nil, 150_000, 50_000])
    }

    @Test func outOfRangeOrMistypedMaxOutputTokensAreProblems() {
        let problems = self.problems(
            """
            [providers.openai]
            api_key_env = "K"
            [[providers.openai.models]]
            id = "gpt-4o"
            max_output_tokens = 0
            [[providers.openai.models]]
            id = "gpt-4o-mini"
            max_output_tokens = 10000001
            [[providers.openai.models]]
            id = "gpt-4.1"
            max_output_tokens = "a lot"
            """
        )
        #expect(
            problems == [
                "test.toml:5: providers.openai.models[0].max_output_tokens: must be between 1 and 10000000, got 0",
                "test.toml:8: providers.openai.models[1].max_output_tokens: must be between 1 and 10000000, got "
                    + "10000001",
                "test.toml:11: providers.openai.models[2].max_output_tokens: must be an integer, got a string",
            ],
            "\(problems)"
        )
    }

    @Test func theAnswerMustLeaveRoomForAPrompt() {
        let problems = self.problems(
            """
            [providers.local]
            kind = "ollama"
            [[providers.local.models]]
            id = "llama3"
            context_window = 8192
            max_output_tokens = 8192
            [providers.openai]
            api_key_env = "K"
            [[providers.openai.models]]
            id = "gpt-4o"
            max_output_tokens = 200000
            """
        )
        #expect(
            problems == [
                "test.toml:6: providers.local.models[0].max_output_tokens: must be smaller than context_window "
                    + "(8192), got 8192: the window holds the prompt and the answer",
                "test.toml:11: providers.openai.models[0].max_output_tokens: must be smaller than the built-in "
                    + "context window of \"gpt-4o\" (128000), got 200000: the window holds the prompt and the answer",
            ],
            "\(problems)"
        )
    }

    // MARK: The registry's merge

    @Test func configuredFiguresOverrideTheBuiltInOnesOneByOne() throws {
        let provider = try self.provider(self.anthropic)
        // The window is built in, the max output configured.
        #expect(provider.limits(of: "claude-haiku-4-5") == ModelLimits(contextWindow: 200_000, maxOutputTokens: 8000))
        // The window is configured, the max output built in.
        #expect(
            provider.limits(of: "claude-sonnet-4-5") == ModelLimits(contextWindow: 150_000, maxOutputTokens: 64_000)
        )
        // Dated ids of an unlisted model find their family's built-in figures.
        #expect(provider.contextWindow(of: "claude-opus-4-5-20251101") == 200_000)
        // Only a window is known: no limits, but the window is.
        #expect(provider.limits(of: "my-claude") == nil)
        #expect(provider.contextWindow(of: "my-claude") == 50_000)
        #expect(provider.maxOutputTokens(of: "my-claude") == nil)
        #expect(provider.contextWindow(of: "unknown-model") == nil)
    }

    @Test func localModelsHaveOnlyWhatIsConfigured() throws {
        let provider = try self.provider(
            """
            [providers.ollama]
            [[providers.ollama.models]]
            id = "gpt-4o"
            """
        )
        #expect(provider.contextWindow(of: "gpt-4o") == nil)
        #expect(provider.maxOutputTokens(of: "gpt-4o") == nil)
    }

    @Test func routingKnowsBuiltInWindowsOfConfiguredAndRoutedModels() throws {
        let active = try self.loaded(
            self.anthropic + """

                [providers.openai]
                api_key_env = "K"
                [routes.r]
                targets = ["openai:gpt-4.1-mini", "anthropic:claude-opus-4-1"]
                """
        )
        let anthropic = try #require(active.routing.provider(named: "anthropic"))
        #expect(
            anthropic.contextWindows == [
                "claude-haiku-4-5": 200_000, "claude-sonnet-4-5": 150_000, "my-claude": 50_000,
                "claude-opus-4-1": 200_000,
            ]
        )
        // openai's default model (gpt-4o-mini) and its routed model.
        let openai = try #require(active.routing.provider(named: "openai"))
        #expect(openai.contextWindows == ["gpt-4o-mini": 128_000, "gpt-4.1-mini": 1_047_576])
    }

    // MARK: Budgets

    @Test func budgetsReserveTheDefaultLoweredToTheSmallestMaxOutputWhenTheRequestGivesNone() throws {
        let active = try self.loaded(
            self.anthropic + """

                [providers.openai]
                api_key_env = "K"
                [[providers.openai.models]]
                id = "small"
                context_window = 8000
                max_output_tokens = 1000
                [providers.local]
                kind = "ollama"
                """
        )
        let request = GenerateRequest(chat: ChatRequest(messages: [ChatMessage(role: .user, content: "hi")]))
        func sent(_ targets: [String]) -> Int {
            let refs = targets.map { target in
                let parts = target.split(separator: ":").map(String.init)
                return TargetRef(provider: parts[0], model: parts[1])
            }
            return Budgets.estimate(request, maxTokens: nil, targets: refs, active: active).sentMaxTokens
        }
        // A model that may write 64K tokens is still reserved (and sent) the default.
        #expect(sent(["anthropic:claude-sonnet-4-5"]) == Budgets.defaultOutputReservation)
        #expect(sent(["anthropic:claude-sonnet-4-5", "local:llama3"]) == Budgets.defaultOutputReservation)
        // A target whose model writes less lowers it: the one max_tokens sent must suit every target.
        #expect(sent(["anthropic:claude-sonnet-4-5", "openai:small"]) == 1000)
        // The request's max_tokens still wins.
        #expect(
            Budgets.estimate(
                request, maxTokens: 100, targets: [TargetRef(provider: "openai", model: "gpt-4o")], active: active
            ).sentMaxTokens == 100
        )
    }

    // MARK: providers.list

    @Test func providersListShowsEachLimitAndWhereItComesFrom() throws {
        let provider = try self.provider(self.anthropic)
        let models = ProviderMethods.describe(provider, adminDisabled: false)["models"]?.arrayValue ?? []
        #expect(
            models.first
                == [
                    "id": "claude-haiku-4-5", "context_window": 200_000, "context_window_source": "builtin",
                    "max_output_tokens": 8000, "max_output_tokens_source": "configured",
                ]
        )
        #expect(models.last == ["id": "my-claude", "context_window": 50_000, "context_window_source": "configured"])
    }
}
