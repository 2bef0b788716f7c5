import JunctionCore

/// A model's effective price and where it came from.
struct PricedModel: Sendable, Equatable {
    var price: ModelPrice
    /// The price-table version to record beside a cost: `builtin:<asOf>`, `config`, or `config+builtin:<asOf>`
    /// when configured fields were laid over a built-in entry.
    var source: String
}

extension ConfiguredPrice {
    /// These configured fields laid over `builtIn`, field by field (a built-in long-context tier is kept).
    /// Without a built-in entry both input and output must be configured; otherwise the price is unknown (nil).
    func merged(over builtIn: ModelPrice?, table: PriceTable) -> PricedModel? {
        guard let builtIn else {
            guard let input = self.input, let output = self.output else { return nil }
            let price = ModelPrice(
                input: input, output: output, cachedInput: self.cachedInput, cacheWrite: self.cacheWrite,
                cacheWrite1h: self.cacheWrite1h, reasoning: self.reasoning
            )
            return PricedModel(price: price, source: "config")
        }
        guard !self.isEmpty else { return PricedModel(price: builtIn, source: table.version) }
        var price = builtIn
        price.base.input = self.input ?? builtIn.base.input
        price.base.output = self.output ?? builtIn.base.output
        price.base.cachedInput = self.cachedInput ?? builtIn.base.cachedInput
        price.base.cacheWrite = self.cacheWrite ?? builtIn.base.cacheWrite
        price.base.cacheWrite1h = self.cacheWrite1h ?? builtIn.base.cacheWrite1h
        price.base.reasoning = self.reasoning ?? builtIn.base.reasoning
        return PricedModel(price: price, source: "config+" + table.version)
    }
}

extension ProviderRegistry.Provider {
    /// What `model` costs at this provider: its `[[providers.NAME.models]]` prices over the built-in entry for
    /// the provider's kind; nil when neither knows it (the cost is then recorded as unknown).
    func price(of model: String, table: PriceTable = .builtIn) -> PricedModel? {
        let configured = self.config.models.first { $0.id == model }?.price ?? ConfiguredPrice()
        return configured.merged(over: table.price(of: model, kind: self.config.kind), table: table)
    }
}
