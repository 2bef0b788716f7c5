import JunctionCore
import Testing

@testable import JunctionDaemon

@Suite("Request cost")
struct RequestCostTests {
    @Test(arguments: [
        (0, "0"), (1, "0.000001"), (12_345, "0.012345"), (1_000_000, "1"), (1_500_000, "1.5"),
        (10_000_000, "10"), (123_456_789, "123.456789"), (-2_500, "-0.0025"), (100_000, "0.1"),
    ])
    func usdIsWrittenExactlyFromTheInteger(micro: Int, text: String) {
        #expect(JSONValue.usd(micro) == .number(text))
    }

    private func attempt(_ charge: AttemptCharge?, failed: Bool = false) -> AttemptRecord {
        AttemptRecord(
            target: TargetRef(provider: "p", model: "m"),
            error: failed ? ProviderError(kind: .transport(.deadline), message: "x") : nil, reason: nil,
            latency: .zero, status: nil, charge: charge
        )
    }

    private let price = PricedModel(price: ModelPrice(input: 1_000_000, output: 2_000_000), source: "config")

    @Test func theCostSumsEveryBilledAttemptAndSaysWhenItIsUnknown() {
        let answered = AttemptCharge(
            billed: BilledUsage(usage: Usage(promptTokens: 100, completionTokens: 50), estimated: false),
            price: self.price
        )
        let cut = AttemptCharge(
            billed: BilledUsage(usage: Usage(promptTokens: 100, completionTokens: 40), estimated: true),
            price: self.price
        )
        // 100 × $1 + 50 × $2 per 1M = 200 micro-USD; the cut attempt 100 + 80 = 180.
        let known = RequestCost(attempts: [self.attempt(cut, failed: true), self.attempt(answered)])
        #expect(known.total == 380)
        #expect(known.failedAttempts == 180)
        #expect(known.usage.completionTokens == 90)
        #expect(known.estimated)

        let unpriced = AttemptCharge(billed: BilledUsage(usage: Usage(promptTokens: 10), estimated: false), price: nil)
        let mixed = RequestCost(attempts: [self.attempt(unpriced, failed: true), self.attempt(answered)])
        #expect(mixed.total == nil)
        #expect(mixed.knownTotal == 200)
        #expect(mixed.unknownPriceAttempts == 1)

        let hung = AttemptCharge(
            unknownBill: BilledUsage.estimate(promptTokens: 100, text: ""),
            reserved: BudgetEstimate(microUSD: 500, tokens: 120)
        )
        let timedOut = RequestCost(attempts: [self.attempt(hung, failed: true)])
        #expect(timedOut.total == nil)
        #expect(timedOut.unknownBillAttempts == 1)
        #expect(timedOut.unknownPriceAttempts == 0)
        #expect(timedOut.usage.promptTokens == 0)  // unknown, not estimated
        // Budgets charge an unknown bill what was reserved for that attempt, beside the known cost of the others.
        let failedOver = RequestCost(attempts: [self.attempt(hung, failed: true), self.attempt(answered)])
        #expect(Budgets.spend(of: failedOver) == BudgetSpend(microUSD: 700, tokens: 270))
        #expect(Budgets.spend(of: timedOut) == BudgetSpend(microUSD: 500, tokens: 120))
        #expect(RequestCost(attempts: [self.attempt(nil, failed: true)]).total == 0)  // never billed: free
    }

    @Test func onlyAttemptsThatReachedTheProviderMayHaveBeenBilled() {
        #expect(AttemptCharge.mayHaveBeenBilled(ProviderError(kind: .transport(.deadline), message: "")))
        #expect(AttemptCharge.mayHaveBeenBilled(ProviderError(kind: .transport(.firstByteTimeout), message: "")))
        #expect(!AttemptCharge.mayHaveBeenBilled(ProviderError(kind: .transport(.connectRefused), message: "")))
        #expect(!AttemptCharge.mayHaveBeenBilled(ProviderError(kind: .transport(.dns), message: "")))
        #expect(!AttemptCharge.mayHaveBeenBilled(ProviderError(kind: .serverError, status: 503, message: "")))
    }
}
