import JunctionCore

/// What one attempt was billed and what that cost.
struct AttemptCharge: Sendable, Equatable {
    var billed: BilledUsage
    /// nil: no price is known for the target's model.
    var cost: CostBreakdown?
    /// The price table the cost came from (`PricedModel.source`); nil when unknown.
    var priceSource: String?
    /// The request was sent and no answer came (a timeout, the caller leaving): the provider may have billed it
    /// in full, and nobody can say what. Its cost is unknown; budgets charge the reservation for it.
    var billUnknown = false
    /// For an unknown bill: what the budgets reserved for this attempt, which is what they are charged for it.
    var reservedMicroUSD: MicroUSD = 0
    var reservedTokens = 0

    init(billed: BilledUsage, price: PricedModel?) {
        self.billed = billed
        self.cost = price.map { Pricing.cost(of: billed.usage, at: $0.price) }
        self.priceSource = price?.source
    }

    /// An attempt whose bill is unknown: `billed` holds the prompt estimate only; `reserved` is what the budgets
    /// held for this attempt (zero without a budget).
    init(unknownBill billed: BilledUsage, reserved: BudgetEstimate?) {
        self.billed = billed
        self.cost = nil
        self.priceSource = nil
        self.billUnknown = true
        self.reservedMicroUSD = reserved?.microUSD ?? 0
        self.reservedTokens = reserved?.tokens ?? 0
    }

    /// Whether a failure without any answer may still have been billed: the request reached the provider and the
    /// wait for its answer ended (a timeout, the caller leaving). Refused connections, DNS and TLS failures and
    /// HTTP errors are not billed.
    static func mayHaveBeenBilled(_ error: ProviderError) -> Bool {
        guard error.status == nil, case .transport(let failure) = error.kind else { return false }
        switch failure {
        case .firstByteTimeout, .ttftTimeout, .deadline, .other: return true
        default: return false
        }
    }
}

/// What a request cost: the sum over every attempt the providers billed, the failed ones included.
struct RequestCost: Sendable, Equatable {
    /// Tokens billed over all attempts.
    var usage = Usage()
    var input: MicroUSD = 0
    var cachedInput: MicroUSD = 0
    var cacheWrite: MicroUSD = 0
    var output: MicroUSD = 0
    var reasoning: MicroUSD = 0
    /// Of the known cost, what attempts that failed (or were abandoned) were billed.
    var failedAttempts: MicroUSD = 0
    /// Billed attempts whose model has no price: the total is unknown when there is one.
    var unknownPriceAttempts = 0
    /// Attempts sent but never answered, whose bill nobody knows (`AttemptCharge.billUnknown`), and what the
    /// budgets reserved for them (what budgets charge for them).
    var unknownBillAttempts = 0
    var unknownBillReservedMicroUSD: MicroUSD = 0
    var unknownBillReservedTokens = 0
    /// The price tables used, in attempt order, without repeats.
    var priceSources: [String] = []
    /// Some billed usage was estimated (no usage reported).
    var estimated = false

    init() {}

    init(attempts: [AttemptRecord]) {
        for attempt in attempts {
            guard let charge = attempt.charge else { continue }
            self.add(charge, failed: attempt.error != nil)
        }
    }

    /// The whole cost in micro-USD; nil when a billed attempt's price is unknown (never a silent 0).
    var total: MicroUSD? {
        self.unknownPriceAttempts > 0 || self.unknownBillAttempts > 0 ? nil : self.knownTotal
    }

    var knownTotal: MicroUSD { self.input + self.cachedInput + self.cacheWrite + self.output + self.reasoning }

    var priceVersion: String? { self.priceSources.isEmpty ? nil : self.priceSources.joined(separator: ",") }

    mutating func add(_ charge: AttemptCharge, failed: Bool) {
        if charge.billUnknown {
            // Neither its tokens nor its cost are known: counted apart, not as an estimate.
            self.unknownBillAttempts += 1
            self.unknownBillReservedMicroUSD += charge.reservedMicroUSD
            self.unknownBillReservedTokens += charge.reservedTokens
            return
        }
        let usage = charge.billed.usage
        self.usage.promptTokens += usage.promptTokens
        self.usage.completionTokens += usage.completionTokens
        self.usage.cachedTokens += usage.cachedTokens
        self.usage.cacheWriteTokens += usage.cacheWriteTokens
        self.usage.cacheWrite1hTokens += usage.cacheWrite1hTokens
        self.usage.reasoningTokens += usage.reasoningTokens
        self.estimated = self.estimated || charge.billed.estimated
        guard let cost = charge.cost else {
            self.unknownPriceAttempts += 1
            return
        }
        self.input += cost.input
        self.cachedInput += cost.cachedInput
        self.cacheWrite += cost.cacheWrite
        self.output += cost.output
        self.reasoning += cost.reasoning
        if failed { self.failedAttempts += cost.total }
        if let source = charge.priceSource, !self.priceSources.contains(source) { self.priceSources.append(source) }
    }
}
