import JunctionCore
import JunctionProviders
import Testing

@testable import JunctionDaemon

/// Settings taken from the environment under the names existing setups use, and the TLS floor.
@Suite("Configuration: environment and TLS")
struct ConfigEnvironmentTests {
    @Test func qwenAcceptsQWEN_API_KEYBesideDASHSCOPE_API_KEY() throws {
        let alone = ConfigLoader.defaults(environment: ["QWEN_API_KEY": "q"])
        #expect(alone.providers.map(\.name) == ["qwen"])
        #expect(alone.providers.first?.key == .environment("QWEN_API_KEY"))
        // DashScope's own name wins when both are set.
        let both = ConfigLoader.defaults(environment: ["QWEN_API_KEY": "q", "DASHSCOPE_API_KEY": "d"])
        #expect(both.providers.first?.key == .environment("DASHSCOPE_API_KEY"))
        // A configured qwen provider without api_key_env takes whichever is set.
        let file = try ConfigLoader.parse(
            text: "[providers.qwen]\n", file: "t.toml", environment: ["QWEN_API_KEY": "q"]
        )
        #expect(file.config.providers.first?.key == .environment("QWEN_API_KEY"))
        #expect(file.environmentSummary == "environment variables used: qwen: QWEN_API_KEY")
        let unset = try ConfigLoader.parse(text: "[providers.qwen]\n", file: "t.toml", environment: [:])
        #expect(unset.config.providers.first?.key == .environment("DASHSCOPE_API_KEY"))
        #expect(unset.environmentSummary == nil)
    }

    @Test func cursorIsConfiguredFromCURSOR_API_KEYAndCURSOR_BASE_URL() throws {
        let environment = ["CURSOR_API_KEY": "c", "CURSOR_BASE_URL": "https://cursor.example/v1", "OPENAI_API_KEY": "o"]
        let loaded = ConfigLoader.fromEnvironment(environment, localOllama: false)
        #expect(loaded.config.providers.map(\.name) == ["openai", "cursor"])
        let cursor = try #require(loaded.config.provider(named: "cursor"))
        #expect(cursor.kind == .cursor)
        #expect(cursor.baseURL == "https://cursor.example/v1")
        #expect(cursor.key == .environment("CURSOR_API_KEY"))
        #expect(
            loaded.environmentSummary
                == "environment variables used: openai: OPENAI_API_KEY; cursor: CURSOR_API_KEY, CURSOR_BASE_URL"
        )
        #expect(loaded.warnings.isEmpty)
        // Names only: the values never reach the summary.
        #expect(!loaded.environmentSummary!.contains("cursor.example"))
        // A key without a base URL configures nothing, and says what is missing.
        let keyOnly = ConfigLoader.fromEnvironment(["CURSOR_API_KEY": "c"], localOllama: false)
        #expect(keyOnly.config.providers.isEmpty)
        #expect(keyOnly.warnings == [
            "CURSOR_API_KEY is set but CURSOR_BASE_URL is not: set it to the provider's OpenAI-compatible base URL "
                + "to configure \"cursor\""
        ])
        // A [providers.cursor] table may leave both to the environment.
        let file = try ConfigLoader.parse(text: "[providers.cursor]\n", file: "t.toml", environment: environment)
        #expect(file.config.providers.first?.baseURL == "https://cursor.example/v1")
        #expect(file.config.providers.first?.key == .environment("CURSOR_API_KEY"))
        do {
            _ = try ConfigLoader.parse(text: "[providers.cursor]\n", file: "t.toml", environment: [:])
            Issue.record("a cursor provider without a base URL was accepted")
        } catch {
            #expect(error.problems.map(\.description) == [
                "t.toml:1: providers.cursor.base_url: is required for kind \"cursor\" (or set CURSOR_BASE_URL)"
            ])
        }
    }

    @Test func tlsMinVersionIsReadFromDefaultsAndProviders() throws {
        let loaded = try ConfigLoader.parse(
            text: """
                [defaults]
                tls_min_version = "1.3"
                [providers.openai]
                [providers.anthropic]
                tls_min_version = "1.2"
                """,
            file: "t.toml"
        )
        #expect(loaded.config.defaults.tlsMinVersion == .v1_3)
        #expect(loaded.config.providers[0].overrides.tlsMinVersion == nil)
        #expect(loaded.config.providers[1].overrides.tlsMinVersion == .v1_2)
        let registry = ProviderRegistry(config: loaded.config, environment: [:])
        let request = HTTPRequest(url: "https://api.openai.com/v1/chat/completions")
        #expect(registry.provider(named: "openai")?.prepare(request, deadline: .seconds(5)).tlsMinVersion == .v1_3)
        #expect(registry.provider(named: "anthropic")?.prepare(request, deadline: .seconds(5)).tlsMinVersion == .v1_2)
        // Without the key TLS 1.2 is the floor.
        let plain = try ConfigLoader.parse(text: "[providers.openai]\n", file: "t.toml")
        let registryOfPlain = ProviderRegistry(config: plain.config, environment: [:])
        #expect(registryOfPlain.provider(named: "openai")?.tlsMinVersion == .v1_2)
    }

    @Test func anInvalidTLSVersionIsAFileLineError() {
        do {
            _ = try ConfigLoader.parse(
                text: "[defaults]\ntls_min_version = \"1.1\"\n[providers.openai]\n\ntls_min_version = 1.3\n",
                file: "t.toml"
            )
            Issue.record("accepted")
        } catch {
            #expect(error.problems.map(\.description) == [
                "t.toml:2: defaults.tls_min_version: must be \"1.2\" or \"1.3\", got \"1.1\"",
                "t.toml:5: providers.openai.tls_min_version: must be a string, got a float",
            ])
        }
    }
}
