import JunctionCore
// TEMPORARY (lead's stand-ins until helper P's branch merges; deleted at the merge).
struct PricedModel: Sendable, Equatable {
    var price: ModelPrice
    var source: String
}
extension ProviderRegistry.Provider {
    func price(of model: String) -> PricedModel? {
        guard let config = self.config.models.first(where: { $0.id == model }),
            let input = config.inputUSDPerMillionTokens, let output = config.outputUSDPerMillionTokens
        else { return nil }
        return PricedModel(price: ModelPrice(input: Int(input * 1e6), output: Int(output * 1e6)), source: "config")
    }
}
