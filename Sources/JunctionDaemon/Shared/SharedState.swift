import JunctionCore
import JunctionShared

/// The seam between the daemon's state and the fleet's: the resilience shell, the budgets and the cache call it,
/// never Redis. Local state stays the first source — reads never leave the process — and only checks that must be
/// atomic across daemons (a rate window with configured limits, a budget reservation) make a round trip, bounded
/// by `[shared] timeout`. `.local` answers mean "decide on your own view": no `[shared]` configuration, or Redis
/// unavailable, slow or refusing.
protocol SharedState: Sendable {
    /// False for the in-process implementation: callers skip the seam entirely (no cost on the hot path).
    var isFleet: Bool { get }
    var health: RedisHealth { get }

    /// Checks and counts one request against a provider's configured limits across the fleet.
    func takeRate(provider: String, limits: RateWindow.Limits, tokens: Int) async -> SharedRateDecision
    /// The provider reported the real token count (`delta` = actual − estimated).
    func correctTokens(provider: String, delta: Int)
    /// A request `takeRate` counted was not sent after all: its request and tokens are taken out again.
    func giveBack(provider: String, tokens: Int)
    /// Reserves a request's worst case on its budgets across the fleet, all or nothing.
    func reserve(_ reservation: SharedReservation) async -> SharedReservationDecision
    /// Frees a reservation and charges the real cost (queued and merged later while Redis is away).
    func settle(_ settlement: SharedSettlement)
    /// Tells the fleet about a breaker, block or cooldown this daemon decided.
    func publish(_ mark: SharedMark)
    /// Whether this daemon may send the health monitor's probe of `provider` (`model`: an open target's) now:
    /// one daemon of the fleet per `interval` does. True when the fleet cannot say (decide locally).
    func claimProbe(provider: String, model: String?, every interval: Duration) async -> Bool
    /// Whether the response cache has a fleet-wide L2 (`[shared] cache = true`).
    var sharesCache: Bool { get }
    /// The fleet's cached answer under `key` and the time it has left; nil: none (or Redis away).
    func cachedAnswer(_ key: CacheKey) async -> (answer: CachedAnswer, left: Duration)?
    /// Stores an answer for the fleet (without waiting).
    func store(_ answer: CachedAnswer, for key: CacheKey, ttl: Duration)
}

enum SharedRateDecision: Sendable, Equatable {
    case admit
    case wait(Duration)
    /// Decide locally.
    case local
}

/// One budget of a reservation, as the fleet counts it.
struct SharedBudgetSlot: Sendable, Equatable {
    var rule: BudgetRule
    /// Whether the caller is limited by it (an exempt admin is only counted).
    var limited: Bool
    var day: PeriodBounds
    var month: PeriodBounds
}

struct SharedReservation: Sendable, Equatable {
    /// Unique across the fleet: the daemon's instance id and the local reservation id.
    var id: String
    var budgets: [SharedBudgetSlot]
    var microUSD: MicroUSD
    var tokens: Int
    /// How long the reservation may be held before the fleet forgets it (the request's deadline and a margin).
    var holdFor: Duration
    /// False for an extension before another attempt: the request was counted already.
    var countsAsRequest: Bool
}

enum SharedReservationDecision: Sendable, Equatable {
    case admitted
    /// Budget `index` of the reservation refused it: which limit, and the fleet's counts.
    case refused(index: Int, limit: String, spent: Int, reserved: Int, rpmWait: Int64)
    case local
}

struct SharedSettlement: Sendable, Equatable {
    var id: String
    var budgets: [SharedBudgetSlot]
    var microUSD: MicroUSD
    var tokens: Int
    /// Requests to count now: 1 when the admission was local (Redis was away), so the fleet never saw it.
    var requests: Int
}

/// A state one daemon decided that the others adopt.
struct SharedMark: Sendable, Equatable {
    enum Kind: String, Sendable {
        /// A breaker opened (`model` nil: the provider's).
        case open
        /// A probe closed it.
        case closed
        /// A 429 or a provider's remaining 0: nothing until the reset.
        case blocked
        /// The provider's quota is spent (`model` nil) or a target's daily quota (`model` set).
        case quota
    }

    var kind: Kind
    var provider: String
    var model: String?
    /// How long the state lasts from now.
    var duration: Duration
    var reason: String
}

/// Today's in-process behaviour: every check is decided on the daemon's own view.
struct LocalSharedState: SharedState {
    var isFleet: Bool { false }
    var health: RedisHealth { .disabled }
    func takeRate(provider: String, limits: RateWindow.Limits, tokens: Int) async -> SharedRateDecision { .local }
    func correctTokens(provider: String, delta: Int) {}
    func giveBack(provider: String, tokens: Int) {}
    func reserve(_ reservation: SharedReservation) async -> SharedReservationDecision { .local }
    func settle(_ settlement: SharedSettlement) {}
    func publish(_ mark: SharedMark) {}
    func claimProbe(provider: String, model: String?, every interval: Duration) async -> Bool { true }
    var sharesCache: Bool { false }
    func cachedAnswer(_ key: CacheKey) async -> (answer: CachedAnswer, left: Duration)? { nil }
    func store(_ answer: CachedAnswer, for key: CacheKey, ttl: Duration) {}
}
