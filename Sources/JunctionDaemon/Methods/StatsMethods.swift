import JunctionCore
import JunctionRPC

/// `stats.snapshot`: what `junctionctl top` and the dashboard show. Any caller may read it (no secrets, no
/// prompts); budgets other than the caller's own are listed for administrators only, as `quota.get` does.
enum StatsMethods {
    static func all(snapshot: StatsSnapshot) -> [RPCMethod] {
        [
            RPCMethod("stats.snapshot") { params, context in
                _ = try Params(params, known: [])
                let caller = BudgetCaller(
                    uid: context.peer.uid, gid: context.peer.gid, client: nil, isAdmin: context.isAdmin
                )
                return snapshot.json(budgetsFor: context.isAdmin ? nil : caller)
            }
        ]
    }
}
