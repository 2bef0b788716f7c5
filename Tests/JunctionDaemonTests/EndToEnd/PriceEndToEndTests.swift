import JunctionClient
import JunctionCore
import JunctionRPC
import Testing

extension EndToEnd {
    /// `prices.list`, `junctionctl prices`, and the usage junction-sim reports, through the real daemon.
    @Suite("prices and usage against junction-sim")
    struct PriceEndToEndTests {
        private static let pricedLocalModel = """
            [[providers.local.models]]
            id = "my-model"
            input_usd_per_mtok = 0.5
            output_usd_per_mtok = 1.25
            [[providers.local.models]]
            id = "unpriced"

            """

        private func provider(_ result: JSONValue, _ name: String) throws -> JSONValue {
            try #require(result["providers"]?.arrayValue?.first { $0["provider"] == .string(name) })
        }

        private func model(_ provider: JSONValue, _ id: String) throws -> JSONValue {
            try #require(provider["models"]?.arrayValue?.first { $0["model"] == .string(id) })
        }

        @Test func pricesListShowsConfiguredAndBuiltInPrices() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: Self.pricedLocalModel)
            let client = try daemon.client()
            let result = try client.call("prices.list")
            #expect(result["as_of"] == .string(PriceTable.builtIn.asOf))
            #expect(result["providers"]?.arrayValue?.count == 8)

            let openAI = try self.provider(result, "openai")
            let mini = try self.model(openAI, "gpt-4o-mini")
            #expect(mini["configured"] == true)
            #expect(mini["input_usd_per_mtok"] == .number("0.150000"))
            #expect(mini["cached_input_usd_per_mtok"] == .number("0.075000"))
            #expect(mini["output_usd_per_mtok"] == .number("0.600000"))
            #expect(mini["source"] == .string("builtin:\(PriceTable.builtIn.asOf)"))
            // The rest of the kind's table follows the configured models.
            #expect(try self.model(openAI, "gpt-4.1")["configured"] == false)
            #expect(openAI["models"]?.arrayValue?.count == PriceTable.builtIn.entries(for: .openai).count)

            let sonnet = try self.model(try self.provider(result, "anthropic"), "claude-sonnet-4-5")
            #expect(sonnet["cache_write_usd_per_mtok"] == .number("3.750000"))
            #expect(sonnet["cache_write_1h_usd_per_mtok"] == .number("6.000000"))
            #expect(sonnet["long_context"]?["above_tokens"] == 200_000)
            #expect(sonnet["long_context"]?["output_usd_per_mtok"] == .number("22.500000"))

            let ollama = try self.provider(result, "ollama")
            #expect(ollama["note"]?.stringValue?.contains("priced at 0 by rule") == true)

            let local = try self.provider(result, "local")
            let priced = try self.model(local, "my-model")
            #expect(priced["source"] == "config")
            #expect(priced["output_usd_per_mtok"] == .number("1.250000"))
            #expect(priced["cached_input_usd_per_mtok"] == .number("0.500000"))  // falls back to input
            #expect(try self.model(local, "unpriced")["source"] == "unknown")
            #expect(local["note"]?.stringValue?.contains("no built-in prices") == true)

            let only = try client.call("prices.list", params: ["provider": "deepseek"])
            #expect(only["providers"]?.arrayValue?.map { $0["provider"] } == ["deepseek"])
            do {
                _ = try client.call("prices.list", params: ["provider": "nope"])
                Issue.record("an unknown provider was accepted")
            } catch let error as RPCError {
                #expect(error.code == RPCErrorCode.invalidParams.rawValue)
                #expect(error.data?["field"] == "provider")
            }
        }

        @Test func junctionctlPricesPrintsATablePerProvider() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: Self.pricedLocalModel)
            let ctl = binaryDirectory() + "/junctionctl"
            let text = try runCommand(ctl, ["--socket", daemon.socket, "prices", "--provider", "anthropic"], environment: ["PATH": "/usr/bin:/bin"])
            #expect(text.status == 0)
            let lines = text.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first == "prices as of \(PriceTable.builtIn.asOf) (USD per 1M tokens)")
            #expect(lines.contains("anthropic (anthropic)"))
            let sonnet = try #require(lines.first { $0.hasPrefix("  claude-sonnet-4-5 ") })
            #expect(sonnet.split(separator: " ").prefix(7) == ["claude-sonnet-4-5", "3.00", "0.30", "3.75", "6.00", "15.00", "15.00"])
            #expect(lines.contains { $0.hasPrefix("    > 200000 prompt tokens") && $0.contains("22.50") })
            let json = try runCommand(ctl, ["--socket", daemon.socket, "--json", "prices", "--provider", "local"], environment: ["PATH": "/usr/bin:/bin"])
            let local = try #require(try JSONValue.parse(json.stdout)["providers"]?.arrayValue?.first)
            #expect(local["models"]?.arrayValue?.first?["source"] == "config")
        }

        /// The same usage set on the simulator comes back normalised from every dialect, unary and streamed.
        @Test(arguments: [
            // provider, model, cache writes the dialect can report, reasoning it can report
            ("openai", "gpt-4o-mini", 0, 20),
            ("anthropic", "claude-sonnet-4-5", 300, 0),
            ("gemini", "gemini-2.5-flash", 0, 20),
            ("deepseek", "deepseek-reasoner", 0, 20),
            ("qwen", "qwen-plus", 300, 20),
        ])
        func simulatedUsageIsNormalisedFromEveryDialect(provider: String, model: String, cacheWrite: Int, reasoning: Int) throws {
            let sim = try SimProcess()
            try sim.setUsage(
                model: model,
                usage: ["prompt": 1200, "cached": 200, "cache_write": 300, "cache_write_1h": 100, "completion": 50, "reasoning": 20]
            )
            let daemon = try sim.daemon()
            let client = try daemon.client()
            for stream in [false, true] {
                let result = try client.call(
                    "generate", params: ["prompt": "hi", "model": .string("\(provider):\(model)"), "stream": .bool(stream)]
                )
                let usage = try #require(result["usage"])
                #expect(usage["prompt_tokens"] == 1200, "\(provider) stream \(stream)")
                #expect(usage["cached_tokens"] == 200, "\(provider) stream \(stream)")
                #expect(usage["cache_write_tokens"] == .int(cacheWrite), "\(provider) stream \(stream)")
                #expect(usage["completion_tokens"] == 50, "\(provider) stream \(stream)")
                #expect(usage["reasoning_tokens"] == .int(reasoning), "\(provider) stream \(stream)")
            }
            // Cleared, the simulator reports its own counts again.
            try sim.setUsage(model: model, usage: nil)
            let plain = try client.call("generate", params: ["prompt": "hi", "model": .string("\(provider):\(model)")])
            #expect(plain["usage"]?["completion_tokens"] == 12)
            #expect(plain["usage"]?["cached_tokens"] == 0)
        }
    }
}
