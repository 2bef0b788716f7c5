import JunctionCore
import JunctionRPC

/// `quota.get`: the budgets that match the caller, with what each period has spent, reserved and left, and when it
/// resets. Administrators may ask for every budget (`all: true`).
enum QuotaMethods {
    static func all(budgets: Budgets, runtime: DaemonRuntime) -> [RPCMethod] {
        [
            RPCMethod("quota.get") { params, context in
                let params = try Params(params, known: ["all", "client"])
                let all = try params.bool("all") ?? false
                if all, !context.isAdmin {
                    throw RPCError.invalidParams(
                        field: "all",
                        problem: "is for administrators only; leave it out to see the budgets that match you"
                    )
                }
                let accounting = runtime.config.accounting
                let caller = BudgetCaller(
                    uid: context.peer.uid, gid: context.peer.gid, client: try params.string("client"),
                    isAdmin: context.isAdmin
                )
                return [
                    "timezone": .string(accounting.timezone),
                    "unknown_price": .string(accounting.unknownPrice.rawValue),
                    "caller": ["uid": .int(context.peer.uid), "gid": .int(context.peer.gid)],
                    "budgets": budgets.status(for: caller, all: all),
                ]
            }
        ]
    }
}
