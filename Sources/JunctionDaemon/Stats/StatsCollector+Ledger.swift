import JunctionCore

extension StatsCollector {
    /// Seeds today's cost per target from the ledger, so that a restart does not zero `cost_today_usd`. A ledger
    /// that cannot be read leaves today counting from zero.
    func seed(from store: LedgerStore, now: Int64, dayStartMs: Int64) async {
        let query = UsageQuery(since: dayStartMs, until: now + 1, groupBy: [.provider, .model])
        guard let report = try? await store.usage(query) else { return }
        var costs: [TargetRef: Int] = [:]
        for row in report.rows {
            guard row.keys.count == 2, case .text(let provider) = row.keys[0], case .text(let model) = row.keys[1]
            else { continue }
            costs[TargetRef(provider: provider, model: model), default: 0] += row.totals.costMicroUSD
        }
        self.seed(costToday: costs, dayStartMs: dayStartMs)
    }
}
