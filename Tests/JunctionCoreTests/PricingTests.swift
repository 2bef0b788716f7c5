import JunctionCore
import Testing

@Suite("Prices")
struct PricingTests {
    private let table = PriceTable.builtIn

    // MARK: Lookup

    @Test func datedSnapshotsAndAliasesFindTheirFamily() {
        #expect(self.table.entry(for: "gpt-4o-2024-08-06", kind: .openai)?.model == "gpt-4o")
        #expect(self.table.entry(for: "claude-sonnet-4-5-20250929", kind: .anthropic)?.model == "claude-sonnet-4-5")
        #expect(self.table.entry(for: "claude-sonnet-4-20250514", kind: .anthropic)?.model == "claude-sonnet-4")
        #expect(self.table.entry(for: "claude-3-5-haiku-latest", kind: .anthropic)?.model == "claude-3-5-haiku")
        #expect(self.table.entry(for: "gpt-5-mini", kind: .openai)?.model == "gpt-5-mini")
    }

    @Test func theLongestPrefixWins() {
        // gpt-4o-mini-… also starts with "gpt-4o-": the longer id must win.
        #expect(self.table.entry(for: "gpt-4o-mini-2024-07-18", kind: .openai)?.model == "gpt-4o-mini")
        #expect(self.table.price(of: "gpt-4o-mini-2024-07-18", kind: .openai)?.base.input == 150_000)
        #expect(
            self.table.entry(for: "gemini-2.5-flash-lite-preview-09-2025", kind: .gemini)?.model == "gemini-2.5-flash-lite"
        )
        // An exact entry beats its family: the first gpt-4o snapshot kept its launch price.
        #expect(self.table.price(of: "gpt-4o-2024-05-13", kind: .openai)?.base.input == 5_000_000)
    }

    @Test func geminiIdsMayComeWithTheModelsPrefix() {
        #expect(self.table.entry(for: "models/gemini-2.5-pro", kind: .gemini)?.model == "gemini-2.5-pro")
        // Only Gemini names models that way.
        #expect(self.table.price(of: "models/gpt-4o", kind: .openai) == nil)
    }

    @Test func unknownModelsAndKindsHaveNoPrice() {
        #expect(self.table.price(of: "mystery-model", kind: .openai) == nil)
        // A prefix counts only when a dash follows it.
        #expect(self.table.price(of: "gpt-4ox", kind: .openai) == nil)
        // Prices are per kind: an OpenAI model served by Anthropic's kind is unknown.
        #expect(self.table.price(of: "gpt-4o-mini", kind: .anthropic) == nil)
        #expect(self.table.price(of: "gpt-4o", kind: .openaiCompatible) == nil)
        #expect(self.table.price(of: "anything", kind: .cursor) == nil)
    }

    @Test func ollamaModelsAreFreeByRule() throws {
        let price = try #require(self.table.price(of: "llama3.2", kind: .ollama))
        #expect(price == .free)
        let cost = Pricing.cost(of: Usage(promptTokens: 5_000, completionTokens: 900, reasoningTokens: 100), at: price)
        #expect(cost == .zero)
        #expect(self.table.entries(for: .ollama).isEmpty)
    }

    @Test func everyPricedKindHasEntriesAndADatedVersion() {
        for kind in [ProviderKind.openai, .anthropic, .gemini, .deepseek, .qwen] {
            #expect(!self.table.entries(for: kind).isEmpty, "\(kind)")
        }
        #expect(self.table.asOf.count == 10)
        #expect(self.table.version == "builtin:\(self.table.asOf)")
    }

    // MARK: Cost

    @Test func everyPartIsBilledOnceAtItsRate() throws {
        let price = try #require(self.table.price(of: "claude-sonnet-4-5", kind: .anthropic))
        let usage = Usage(
            promptTokens: 1_200, completionTokens: 50, cachedTokens: 200, cacheWriteTokens: 300, cacheWrite1hTokens: 100,
            reasoningTokens: 20
        )
        // Rates (µ$/Mtok): input 3_000_000, cache read 300_000, 5m write 3_750_000, 1h write 6_000_000,
        // output 15_000_000, reasoning = output.
        // input       (1200 − 200 − 300) = 700 × 3_000_000 = 2_100_000_000 → 2_100 µ$
        // cached       200 × 300_000                        =    60_000_000 →    60 µ$
        // cache write  200 × 3_750_000 + 100 × 6_000_000   = 1_350_000_000 → 1_350 µ$
        // output      (50 − 20) = 30 × 15_000_000           =   450_000_000 →   450 µ$
        // reasoning    20 × 15_000_000                      =   300_000_000 →   300 µ$
        let cost = Pricing.cost(of: usage, at: price)
        #expect(cost == CostBreakdown(input: 2_100, cachedInput: 60, cacheWrite: 1_350, output: 450, reasoning: 300))
        #expect(cost.total == 4_260)
        #expect(cost.json.compactText == #"{"input_usd":0.002100,"cached_input_usd":0.000060,"cache_write_usd":0.001350,"output_usd":0.000450,"reasoning_usd":0.000300,"total_usd":0.004260}"#)
    }

    @Test func eachPartRoundsHalfUp() {
        let price = ModelPrice(input: 250_000, output: 150_000)
        // 2 × 250_000 = 500_000 → exactly half a micro-USD: up to 1.  1 × 150_000 → 0.15: down to 0.
        let cost = Pricing.cost(of: Usage(promptTokens: 2, completionTokens: 1), at: price)
        #expect(cost == CostBreakdown(input: 1, output: 0))
        #expect(Pricing.cost(of: Usage(promptTokens: 1), at: price).input == 0)  // 0.25 → 0
    }

    @Test func missingRatesFallBack() {
        // No cached, cache-write, 1h or reasoning rate: input, input, cache write (= input), output.
        let price = ModelPrice(input: 1_000_000, output: 2_000_000)
        let usage = Usage(
            promptTokens: 1_000, completionTokens: 100, cachedTokens: 100, cacheWriteTokens: 200, cacheWrite1hTokens: 50,
            reasoningTokens: 40
        )
        // input 700 × 1 = 700; cached 100 × 1 = 100; writes 200 × 1 = 200; output 60 × 2 = 120; reasoning 40 × 2 = 80.
        let cost = Pricing.cost(of: usage, at: price)
        #expect(cost == CostBreakdown(input: 700, cachedInput: 100, cacheWrite: 200, output: 120, reasoning: 80))
        #expect(cost.total == Pricing.cost(of: Usage(promptTokens: 1_000, completionTokens: 100), at: price).total)
    }

    @Test func inconsistentCountsNeverGoNegative() {
        let price = ModelPrice(input: 1_000_000, output: 1_000_000)
        let cost = Pricing.cost(
            of: Usage(promptTokens: 10, completionTokens: 5, cachedTokens: 30, reasoningTokens: 9), at: price
        )
        #expect(cost.input == 0)
        #expect(cost.output == 0)
        #expect(cost.reasoning == 5)  // reasoning capped at the completion
    }

    @Test func aLongPromptIsBilledEntirelyAtTheTierRates() throws {
        let price = try #require(self.table.price(of: "claude-sonnet-4-5-20250929", kind: .anthropic))
        // At the threshold: base rates. 200_000 × 3_000_000 → 600_000 µ$; 1_000 × 15_000_000 → 15_000 µ$.
        #expect(Pricing.cost(of: Usage(promptTokens: 200_000, completionTokens: 1_000), at: price).total == 615_000)
        // One token over: every token at the tier's. 200_001 × 6_000_000 → 1_200_006 µ$;
        // output too: 1_000 × 22_500_000 → 22_500 µ$.
        let long = Pricing.cost(of: Usage(promptTokens: 200_001, completionTokens: 1_000), at: price)
        #expect(long == CostBreakdown(input: 1_200_006, output: 22_500))
        let pro = try #require(self.table.price(of: "gemini-2.5-pro", kind: .gemini))
        // 300_000 × 2_500_000 → 750_000 µ$; 100 cached of them at 250_000 → 25 µ$, 299_900 × 2.5 → 749_750.
        #expect(Pricing.cost(of: Usage(promptTokens: 300_000, cachedTokens: 100), at: pro).total == 749_775)
    }

    @Test func theWorstCaseTakesTheDearestRatesAndRoundsUp() throws {
        let sonnet = try #require(self.table.price(of: "claude-sonnet-4-5", kind: .anthropic))
        // Dearest input side: the tier's 1h cache write, 12_000_000; dearest output: the tier's 22_500_000.
        // 1_000 × 12_000_000 + 100 × 22_500_000 = 14_250_000_000 → 14_250 µ$.
        #expect(Pricing.worstCase(promptTokens: 1_000, outputTokens: 100, at: sonnet) == 14_250)
        let mini = try #require(self.table.price(of: "gpt-4o-mini", kind: .openai))
        // 1 × 150_000 = 0.15 µ$: a reservation rounds up, to 1.
        #expect(Pricing.worstCase(promptTokens: 1, outputTokens: 0, at: mini) == 1)
        // Reasoning dearer than output counts.
        let reasoning = ModelPrice(input: 1_000_000, output: 2_000_000, reasoning: 5_000_000)
        #expect(Pricing.worstCase(promptTokens: 0, outputTokens: 10, at: reasoning) == 50)
        // Never below the actual cost of the same tokens.
        let usage = Usage(promptTokens: 250_000, completionTokens: 4_000, cachedTokens: 10_000, cacheWriteTokens: 5_000)
        #expect(Pricing.worstCase(promptTokens: 250_000, outputTokens: 4_000, at: sonnet) >= Pricing.cost(of: usage, at: sonnet).total)
    }

    @Test func hugeCountsSaturateInsteadOfTrapping() {
        let price = ModelPrice(input: 1_000_000_000_000, output: 1)
        #expect(Pricing.cost(of: Usage(promptTokens: .max / 2), at: price).input == Int.max / 1_000_000)
        #expect(Pricing.worstCase(promptTokens: .max / 2, outputTokens: 1, at: price) == Int.max / 1_000_000)
    }

    // MARK: Money text

    @Test func microUSDConversions() {
        #expect(MicroUSDText.text(1_234_567) == "$1.234567")
        #expect(MicroUSDText.text(-1) == "-$0.000001")
        #expect(MicroUSDText.text(0) == "$0.000000")
        #expect(MicroUSDText.decimal(2_500_000) == "2.500000")
        #expect(MicroUSDText.micro(usd: 0.15) == 150_000)
        #expect(MicroUSDText.micro(usd: 0.1 + 0.2) == 300_000)
        #expect(MicroUSDText.micro(usd: 3.75) == 3_750_000)
        #expect(MicroUSDText.micro(usd: 1e30) == .max)
        #expect(MicroUSDText.usd(1_500_000) == 1.5)
    }
}
