import JunctionCore
import Testing

@testable import JunctionDaemon

/// The price keys of `[[providers.NAME.models]]` and the registry's merge with the built-in table.
@Suite("Configured prices")
struct ConfigPriceTests {
    private func load(_ text: String) throws -> DaemonConfig {
        try ConfigLoader.parse(text: text, file: "test.toml").config
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
        try #require(ProviderRegistry(config: try self.load(text), environment: [:]).providers.first)
    }

    @Test func readsEveryPriceKeyRoundedToTheMicroDollar() throws {
        let config = try self.load(
            """
            [providers.anthropic]
            api_key_env = "K"
            [[providers.anthropic.models]]
            id = "claude-sonnet-4-5"
            input_usd_per_mtok = 2.5
            output_usd_per_mtok = 12
            cached_input_usd_per_mtok = 0.25
            cache_write_usd_per_mtok = 3.1250004
            cache_write_1h_usd_per_mtok = 5
            reasoning_usd_per_mtok = 0.0000014
            """
        )
        let price = try #require(config.providers.first?.models.first?.price)
        #expect(
            price
                == ConfiguredPrice(
                    input: 2_500_000, output: 12_000_000, cachedInput: 250_000, cacheWrite: 3_125_000,
                    cacheWrite1h: 5_000_000, reasoning: 1
                )
        )
    }

    @Test func negativeAndAbsurdPricesAreClearProblems() {
        let problems = self.problems(
            """
            [providers.openai]
            api_key_env = "K"
            [[providers.openai.models]]
            id = "gpt-4o"
            input_usd_per_mtok = -1
            cached_input_usd_per_mtok = -0.5
            output_usd_per_mtok = 2000000
            reasoning_usd_per_mtok = "cheap"
            """
        )
        #expect(problems.contains(
            "test.toml:5: providers.openai.models[0].input_usd_per_mtok: must not be negative: write the price in USD per million tokens, e.g. 2.5"
        ), "\(problems)")
        #expect(problems.contains { $0.hasPrefix("test.toml:6: providers.openai.models[0].cached_input_usd_per_mtok: must not be negative") })
        #expect(problems.contains { $0.hasPrefix("test.toml:7: providers.openai.models[0].output_usd_per_mtok: must be at most 1000000") })
        #expect(problems.contains { $0.hasPrefix("test.toml:8: providers.openai.models[0].reasoning_usd_per_mtok: must be a number") })
        #expect(problems.count == 4)
    }

    @Test func aModelWithoutABuiltInPriceNeedsInputAndOutput() {
        let problems = self.problems(
            """
            [providers.local]
            kind = "openai-compatible"
            base_url = "http://127.0.0.1:8000/v1"
            [[providers.local.models]]
            id = "my-model"
            input_usd_per_mtok = 0.2
            """
        )
        #expect(problems.count == 1)
        #expect(problems.first?.contains("output_usd_per_mtok: is required: openai-compatible model \"my-model\" has no built-in price") == true)
    }

    @Test func configuredFieldsOverrideTheBuiltInOnesOneByOne() throws {
        let provider = try self.provider(
            """
            [providers.anthropic]
            api_key_env = "K"
            [[providers.anthropic.models]]
            id = "claude-sonnet-4-5-20250929"
            cached_input_usd_per_mtok = 0.2
            """
        )
        let priced = try #require(provider.price(of: "claude-sonnet-4-5-20250929"))
        #expect(priced.source == "config+builtin:\(PriceTable.builtIn.asOf)")
        #expect(priced.price.base.cachedInput == 200_000)
        #expect(priced.price.base.input == 3_000_000)  // from the built-in entry
        #expect(priced.price.base.cacheWrite1h == 6_000_000)
        #expect(priced.price.longContext?.aboveInputTokens == 200_000)  // the tier is kept
        // A model the configuration does not price: the built-in entry alone.
        let builtIn = try #require(provider.price(of: "claude-haiku-4-5"))
        #expect(builtIn.source == "builtin:\(PriceTable.builtIn.asOf)")
        #expect(builtIn.price == PriceTable.builtIn.price(of: "claude-haiku-4-5", kind: .anthropic))
    }

    @Test func unknownModelsArePricedOnlyByConfiguration() throws {
        let provider = try self.provider(
            """
            [providers.local]
            kind = "openai-compatible"
            base_url = "http://127.0.0.1:8000/v1"
            [[providers.local.models]]
            id = "priced"
            input_usd_per_mtok = 0.1
            output_usd_per_mtok = 0.3
            [[providers.local.models]]
            id = "unpriced"
            """
        )
        let priced = try #require(provider.price(of: "priced"))
        #expect(priced == PricedModel(price: ModelPrice(input: 100_000, output: 300_000), source: "config"))
        #expect(provider.price(of: "unpriced") == nil)
        #expect(provider.price(of: "gpt-4o") == nil)
    }

    @Test func ollamaIsFreeUnlessConfigured() throws {
        let provider = try self.provider(
            """
            [providers.ollama]
            [[providers.ollama.models]]
            id = "llama3.2"
            [[providers.ollama.models]]
            id = "qwen3:32b"
            output_usd_per_mtok = 0.01
            """
        )
        #expect(provider.price(of: "llama3.2")?.price == .free)
        #expect(provider.price(of: "qwen3:32b")?.price.base.output == 10_000)
        #expect(provider.price(of: "qwen3:32b")?.source.hasPrefix("config+builtin:") == true)
    }
}
