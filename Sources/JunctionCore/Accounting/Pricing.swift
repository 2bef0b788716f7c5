/// Turns token counts into money with integer arithmetic only.
///
/// Rates are micro-USD per million tokens, so each part of a bill is `tokens × rate` (micro-USD × 10⁶), added up
/// in `Int` and divided by 1_000_000 once, rounding half up. Products saturate at `Int.max` rather than trap.
public enum Pricing {
    /// What `usage` cost at `price`.
    ///
    /// `Usage` counts cache reads and writes inside `promptTokens` and reasoning inside `completionTokens`, so
    /// each token is billed once: uncached input = prompt − cached − cache writes (never below zero), 5-minute
    /// writes = cache writes − 1-hour writes, answer output = completion − reasoning. A prompt over the model's
    /// long-context threshold is billed entirely at the tier's rates.
    public static func cost(of usage: Usage, at price: ModelPrice) -> CostBreakdown {
        let rates = price.rates(forPromptTokens: usage.promptTokens)
        let cached = max(0, usage.cachedTokens)
        let cacheWrite = max(0, usage.cacheWriteTokens)
        let cacheWrite1h = min(max(0, usage.cacheWrite1hTokens), cacheWrite)
        let uncached = max(0, usage.promptTokens - cached - cacheWrite)
        let completion = max(0, usage.completionTokens)
        let reasoning = min(max(0, usage.reasoningTokens), completion)
        return CostBreakdown(
            input: self.micro([(uncached, rates.input)]),
            cachedInput: self.micro([(cached, rates.effectiveCachedInput)]),
            cacheWrite: self.micro([
                (cacheWrite - cacheWrite1h, rates.effectiveCacheWrite), (cacheWrite1h, rates.effectiveCacheWrite1h),
            ]),
            output: self.micro([(completion - reasoning, rates.output)]),
            reasoning: self.micro([(reasoning, rates.effectiveReasoning)])
        )
    }

    /// The most a request can cost: every prompt token at the dearest input-side rate the model has (cache
    /// writes and the long-context tier included) and every output token at the dearest output-side rate,
    /// rounded up. Admission reserves this before any money is spent.
    public static func worstCase(promptTokens: Int, outputTokens: Int, at price: ModelPrice) -> MicroUSD {
        var inputRate = price.base.highestInputSide
        var outputRate = price.base.highestOutputSide
        if let tier = price.longContext {
            inputRate = max(inputRate, tier.rates.highestInputSide)
            outputRate = max(outputRate, tier.rates.highestOutputSide)
        }
        let scaled = self.sum([(max(0, promptTokens), inputRate), (max(0, outputTokens), outputRate)])
        guard scaled < Int.max - 999_999 else { return Int.max / 1_000_000 }
        return (scaled + 999_999) / 1_000_000
    }

    /// Σ tokens × rate, divided by 10⁶, rounding half up.
    private static func micro(_ parts: [(tokens: Int, rate: MicroUSD)]) -> MicroUSD {
        let scaled = self.sum(parts)
        guard scaled < Int.max - 500_000 else { return Int.max / 1_000_000 }
        return (scaled + 500_000) / 1_000_000
    }

    /// Σ tokens × rate in micro-USD × 10⁶, saturating.
    private static func sum(_ parts: [(tokens: Int, rate: MicroUSD)]) -> Int {
        var total = 0
        for (tokens, rate) in parts {
            let (product, productOverflow) = tokens.multipliedReportingOverflow(by: max(0, rate))
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            if productOverflow || sumOverflow { return .max }
            total = sum
        }
        return total
    }
}
