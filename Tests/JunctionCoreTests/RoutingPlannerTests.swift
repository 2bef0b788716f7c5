import Testing

@testable import JunctionCore

/// The routing plan: candidates per selection, every skip reason, load sharing, the all-open fallback.
@Suite("Routing planner")
struct RoutingPlannerTests {
    let now = ContinuousClock.now
    let a = TargetRef(provider: "a", model: "m")
    let b = TargetRef(provider: "b", model: "m")

    var table: RoutingTable {
        RoutingTable(
            providers: [
                .init(name: "a", models: ["m"], contextWindows: ["m": 4000], maxQueueWait: .seconds(2)),
                .init(name: "b", models: ["m"], maxQueueWait: .seconds(2)),
                .init(name: "c", priority: 2, models: ["other"]),
            ],
            routes: [.init(name: "main", targets: [self.a, self.b])]
        )
    }

    func verdict(_ view: TargetView, table: RoutingTable? = nil, promptTokens: Int? = nil) -> RoutingPlan.Verdict {
        RoutingPlanner.verdict(for: self.a, in: table ?? self.table, view: view, promptTokens: promptTokens, at: self.now)
    }

    @Test func selectionsResolveAsDocumented() throws {
        #expect(try RoutingPlanner.candidates(self.table, for: .route("main")) == [[self.a], [self.b]])
        #expect(try RoutingPlanner.candidates(self.table, for: .model("b:x")) == [[TargetRef(provider: "b", model: "x")]])
        #expect(try RoutingPlanner.candidates(self.table, for: .model("m")) == [[self.a], [self.b]])
        #expect(try RoutingPlanner.candidates(self.table, for: .model("main")) == [[self.a], [self.b]])
        // The implicit default: equal priorities share a group.
        #expect(
            try RoutingPlanner.candidates(self.table, for: .automatic)
                == [[self.a, self.b], [TargetRef(provider: "c", model: "other")]]
        )
        #expect(throws: RoutingError.self) { try RoutingPlanner.candidates(self.table, for: .route("none")) }
        #expect(throws: RoutingError.self) { try RoutingPlanner.candidates(self.table, for: .model("unknown")) }
        #expect(throws: RoutingError.self) { try RoutingPlanner.candidates(RoutingTable(), for: .automatic) }
    }

    @Test func everySkipReason() {
        var disabledTable = self.table
        disabledTable.providers[0].enabled = false
        #expect(self.verdict(TargetView(), table: disabledTable) == .skipped(.disabled))
        var keyless = self.table
        keyless.providers[0].keyProblem = "ANTHROPIC_API_KEY is not set"
        #expect(self.verdict(TargetView(), table: keyless) == .skipped(.keyUnavailable("ANTHROPIC_API_KEY is not set")))
        #expect(self.verdict(TargetView(adminDisabled: true)) == .skipped(.adminDisabled))
        #expect(self.verdict(TargetView(authFailure: "bad key")) == .skipped(.authFailed("bad key")))
        let later = self.now + .seconds(60)
        #expect(self.verdict(TargetView(quotaUntil: later)) == .skipped(.quotaCooling(until: later)))
        #expect(self.verdict(TargetView(quotaUntil: self.now - .seconds(1))) == .eligible(windowWait: nil))
        #expect(self.verdict(TargetView(dailyQuotaUntil: later)) == .skipped(.dailyQuota(until: later)))
        #expect(self.verdict(TargetView(), promptTokens: 5000) == .skipped(.contextWindowTooSmall(window: 4000, needed: 5000)))
        #expect(self.verdict(TargetView(), promptTokens: 3000) == .eligible(windowWait: nil))
        #expect(self.verdict(TargetView(breaker: .open(since: self.now, until: later))) == .skipped(.breakerOpen(until: later)))
        #expect(self.verdict(TargetView(breaker: .probing)) == .skipped(.breakerProbing))
        #expect(self.verdict(TargetView(windowWait: .seconds(3))) == .skipped(.noWindowRoom(wait: .seconds(3))))
        #expect(self.verdict(TargetView(windowWait: .seconds(1))) == .eligible(windowWait: .seconds(1)))
    }

    @Test func thePlanListsEveryCandidateInOrder() throws {
        let later = self.now + .seconds(30)
        let plan = RoutingPlanner.plan(
            self.table, candidates: try RoutingPlanner.candidates(self.table, for: .route("main")), promptTokens: nil,
            views: [self.a: TargetView(breaker: .open(since: self.now, until: later))], random: { 0 }, at: self.now
        )
        #expect(plan.entries.map(\.target) == [self.a, self.b])
        #expect(plan.eligible == [self.b])
        #expect(plan.skipped.map(\.reason) == [.breakerOpen(until: later)])
        #expect(plan.allOpenFallback == nil)
    }

    @Test func everyBreakerOpenNamesTheOneOpenLongest() throws {
        let plan = RoutingPlanner.plan(
            self.table, candidates: try RoutingPlanner.candidates(self.table, for: .route("main")), promptTokens: nil,
            views: [
                self.a: TargetView(breaker: .open(since: self.now - .seconds(5), until: self.now + .seconds(25))),
                self.b: TargetView(breaker: .open(since: self.now - .seconds(50), until: self.now + .seconds(10))),
            ],
            random: { 0 }, at: self.now
        )
        #expect(plan.eligible.isEmpty)
        #expect(plan.allOpenFallback == self.b)
    }

    @Test func loadSharingPutsSkippedTargetsLast() throws {
        let candidates = try RoutingPlanner.candidates(self.table, for: .automatic)
        let plan = RoutingPlanner.plan(
            self.table, candidates: candidates, promptTokens: nil, views: [self.a: TargetView(adminDisabled: true)],
            random: { 0 }, at: self.now
        )
        #expect(plan.entries.map(\.target.provider) == ["b", "a", "c"])
    }
}

@Suite("Load sharing")
struct LoadSharingTests {
    let a = TargetRef(provider: "a", model: "m")
    let b = TargetRef(provider: "b", model: "m")

    @Test func weightsDecideTheShare() {
        // Weights 3 and 1: a draw in the first three quarters picks a first.
        #expect(LoadSharing.order([self.a, self.b], weights: [3, 1], latencies: [nil, nil], random: { 0.70 }) == [self.a, self.b])
        #expect(LoadSharing.order([self.a, self.b], weights: [3, 1], latencies: [nil, nil], random: { 0.80 }) == [self.b, self.a])
        // A fixed sequence of draws spread over [0, 1): three quarters of them pick a first.
        var firsts = 0
        for step in 0..<4000 {
            let draw = Double(step) / 4000
            if LoadSharing.order([self.a, self.b], weights: [3, 1], latencies: [nil, nil], random: { draw }).first == self.a {
                firsts += 1
            }
        }
        #expect(firsts == 3000)
    }

    @Test func theFasterTargetLeans() {
        // Equal weights, b twice as slow: a gets two thirds of the draws.
        #expect(LoadSharing.order([self.a, self.b], weights: [1, 1], latencies: [100, 200], random: { 0.60 }) == [self.a, self.b])
        #expect(LoadSharing.order([self.a, self.b], weights: [1, 1], latencies: [100, 200], random: { 0.70 }) == [self.b, self.a])
    }
}
