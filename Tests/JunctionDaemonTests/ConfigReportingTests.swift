import JunctionCore
import Testing

@testable import JunctionDaemon

/// Every configuration problem is found in one pass and located by its line.
@Suite("Configuration: every problem at once")
struct ConfigReportingTests {
    private func problems(_ text: String) -> [String] {
        do {
            _ = try ConfigLoader.parse(text: text, file: "test.toml")
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func aProviderWithABadKindStillHasItsModelsAndSubTablesChecked() {
        let problems = self.problems(
            """
            [providers.odd]
            kind = "gpt"
            bogus = 1
            [providers.odd.retry]
            max_retires = 3
            [[providers.odd.models]]
            id = "x"
            colour = "blue"
            [[providers.odd.models]]
            shade = 2
            """
        )
        #expect(problems.contains { $0.hasPrefix("test.toml:2: providers.odd.kind: unknown provider kind \"gpt\"") })
        #expect(problems.contains { $0.hasPrefix("test.toml:3: providers.odd.bogus: unknown key") })
        #expect(problems.contains { $0.hasPrefix("test.toml:5: providers.odd.retry.max_retires: unknown key") })
        #expect(problems.contains { $0.hasPrefix("test.toml:8: providers.odd.models[0].colour: unknown key") })
        // A model without an id still has its other keys checked.
        #expect(problems.contains("test.toml:9: providers.odd.models[1].id: is required"))
        #expect(problems.contains { $0.hasPrefix("test.toml:10: providers.odd.models[1].shade: unknown key") })
        #expect(problems.count == 6)
    }

    @Test func aProviderWithoutABaseURLStillHasItsOtherKeysChecked() {
        let problems = self.problems(
            """
            [providers.local]
            kind = "openai-compatible"
            max_response_bytes = "big"
            [[providers.local.models]]
            id = "m"
            context = 5
            """
        )
        #expect(problems.contains("test.toml:1: providers.local.base_url: is required for kind \"openai-compatible\""))
        #expect(problems.contains("test.toml:3: providers.local.max_response_bytes: must be an integer, got a string"))
        #expect(problems.contains { $0.hasPrefix("test.toml:6: providers.local.models[0].context: unknown key") })
        #expect(problems.count == 3)
    }

    @Test func unknownProviderKeysCarryTheirOwnLine() {
        // A quoted provider name with a dot in it, and a dotted key, each point at the line they are written on.
        let quoted = self.problems("[providers.\"eu.openai\"]\nkind = \"openai\"\n\nbogus = 1\n")
        #expect(quoted.count == 1)
        #expect(quoted.first?.hasPrefix("test.toml:4: providers.eu.openai.bogus: unknown key") == true)
        let dotted = self.problems("[providers.openai]\nkind = \"openai\"\nbogus.deep = 1\n")
        #expect(dotted.count == 1)
        #expect(dotted.first?.hasPrefix("test.toml:3: providers.openai.bogus: unknown key") == true)
        let single = self.problems("[providers.'my.local']\nkind = 'ollama'\nweight = 0\n")
        #expect(single == ["test.toml:3: providers.my.local.weight: must be between 1 and 1000, got 0"])
    }
}

extension ConfigReportingTests {
    @Test func aRouteNamingAnUnusableProviderIsNotReportedTwice() {
        let problems = self.problems("[providers.odd]\nkind = \"gpt\"\n[routes.default]\ntargets = [\"odd:m\"]\n")
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("test.toml:2: providers.odd.kind: unknown provider kind") == true)
    }

    @Test func problemsAreListedInFileOrder() {
        let problems = self.problems("[server]\nzzz = 1\nmax_connections = 0\n[providers.openai]\nweight = 0\n")
        #expect(problems.map { $0.split(separator: ":")[1] } == ["2", "3", "5"])
    }
}
