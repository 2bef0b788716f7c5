@testable import JunctionCore

/// Unix milliseconds of an RFC 3339 time (the tests' injected clock).
func ms(_ text: String) -> Int64 {
    Int64((RFC3339.parse(text)! * 1000).rounded())
}

/// Micro-USD of whole and fractional dollars, for readable expectations.
func usd(_ dollars: Double) -> MicroUSD { MicroUSDText.micro(usd: dollars) }

let alice = BudgetCaller(uid: 1000, gid: 100)
let bob = BudgetCaller(uid: 1001, gid: 100)
let admin = BudgetCaller(uid: 0, gid: 0, isAdmin: true)

/// A request's worst case.
func estimate(_ microUSD: MicroUSD?, tokens: Int = 1) -> BudgetEstimate {
    BudgetEstimate(microUSD: microUSD, tokens: tokens)
}

/// What a request really cost.
func actual(_ microUSD: MicroUSD?, tokens: Int = 1) -> BudgetSpend {
    BudgetSpend(microUSD: microUSD, tokens: tokens)
}
