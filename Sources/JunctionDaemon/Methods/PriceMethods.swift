import JunctionCore
import JunctionRPC

/// `prices.list`: what each configured provider's models cost, and the built-in prices of its kind.
enum PriceMethods {
    static func all(runtime: DaemonRuntime, table: PriceTable = .builtIn) -> [RPCMethod] {
        [
            RPCMethod("prices.list") { params, _ in
                let params = try Params(params, known: ["provider"])
                let only = try params.string("provider")
                let registry = runtime.active.registry
                if let only, registry.provider(named: only) == nil {
                    throw RPCError.invalidParams(field: "provider", problem: "names no configured provider")
                }
                return [
                    "as_of": .string(table.asOf),
                    "providers": .array(
                        registry.providers.filter { only == nil || $0.name == only }
                            .map { self.describe($0, table: table) }
                    ),
                ]
            }
        ]
    }

    /// One provider: its configured models with their effective prices (or `"source": "unknown"`), then the
    /// built-in entries of its kind that no configured model already shows.
    static func describe(_ provider: ProviderRegistry.Provider, table: PriceTable) -> JSONValue {
        let kind = provider.config.kind
        var rows: [JSONValue] = []
        var shown = Set<String>()
        for model in provider.config.models where shown.insert(model.id).inserted {
            let priced = provider.price(of: model.id, table: table)
            let entry = table.entry(for: model.id, kind: kind)
            rows.append(
                self.row(
                    model: model.id, priced: priced, configured: true,
                    pricedAs: entry.flatMap { $0.model == model.id || kind.isLocal ? nil : $0.model }
                )
            )
        }
        for entry in table.entries(for: kind) where !shown.contains(entry.model) {
            rows.append(
                self.row(
                    model: entry.model, priced: PricedModel(price: entry.price, source: table.version),
                    configured: false
                )
            )
        }
        var object: JSONObject = [
            "provider": .string(provider.name), "kind": .string(kind.rawValue), "models": .array(rows),
        ]
        if kind.isLocal {
            object["note"] = .string("local models cost nothing: every \(kind.rawValue) model is priced at 0 by rule")
        } else if table.entries(for: kind).isEmpty {
            object["note"] = .string(
                "no built-in prices for kind \(kind.rawValue): configure *_usd_per_mtok on the models, "
                    + "else their cost is unknown"
            )
        }
        return .object(object)
    }

    private static func row(
        model: String, priced: PricedModel?, configured: Bool, pricedAs: String? = nil
    ) -> JSONValue {
        var object: JSONObject = ["model": .string(model), "configured": .bool(configured)]
        guard let priced else {
            object["source"] = "unknown"
            return .object(object)
        }
        for member in self.rates(priced.price.base).members { object[member.key] = member.value }
        if let tier = priced.price.longContext {
            var long = self.rates(tier.rates)
            long["above_tokens"] = .int(tier.aboveInputTokens)
            object["long_context"] = .object(long)
        }
        if let pricedAs { object["priced_as"] = .string(pricedAs) }
        object["source"] = .string(priced.source)
        return .object(object)
    }

    /// The effective rates (fallbacks applied) in USD per million tokens, six decimals.
    private static func rates(_ rates: ModelRates) -> JSONObject {
        func usd(_ micro: MicroUSD) -> JSONValue { .number(MicroUSDText.decimal(micro)) }
        return [
            "input_usd_per_mtok": usd(rates.input),
            "output_usd_per_mtok": usd(rates.output),
            "cached_input_usd_per_mtok": usd(rates.effectiveCachedInput),
            "cache_write_usd_per_mtok": usd(rates.effectiveCacheWrite),
            "cache_write_1h_usd_per_mtok": usd(rates.effectiveCacheWrite1h),
            "reasoning_usd_per_mtok": usd(rates.effectiveReasoning),
        ]
    }
}
