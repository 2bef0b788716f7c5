import JunctionCore
import NIOConcurrencyHelpers

/// The response cache's shell: the store under a short-held lock, the policy from the active configuration, the
/// counters `cache.stats` shows, and the outcome subscriber that stores complete answers. Lookups happen in the
/// gateway between admission and planning's first attempt; stores happen here, from the outcome report.
final class ResponseCache: OutcomeSubscriber {
    /// What the cache does for one request; the gateway asks `policy(for:)` and holds the answer for the request.
    struct Policy: Sendable {
        var mode: CacheRequestOptions.Mode
        /// The tenant partition (the uid, or everyone with `shared`) and the request's namespace.
        var partition: String
        var namespace: String?
        var ttl: Duration
        var maxAge: Duration?
        /// Identical requests in flight may share one upstream call.
        var coalesces: Bool
        /// An expired entry may answer when every target fails.
        var servesStale: Bool

        /// Part of the key when not fail_over (trimming decides what the answer saw).
        var fit: FitMode
        /// The `[cache]` section the request runs under (its limits apply when it looks up or stores).
        var config: CacheConfig

        func key(_ chat: ChatRequest, target: TargetRef) -> CacheKey {
            CacheKey(chat, target: target.description, partition: self.partition, fit: self.fit)
        }
    }

    /// `cache.stats`.
    struct Stats: Sendable, Equatable {
        var enabled: Bool
        var entries: Int
        var bytes: Int
        var maxBytes: Int
        var hits: Int
        var misses: Int
        var staleServes: Int
        var coalescedJoins: Int
        var evictions: Int
        var stores: Int
        var savedMicroUSD: MicroUSD
        /// Served answers whose original cost was unknown: `savedMicroUSD` leaves them out.
        var savedUnknown: Int
        /// Hits answered from the fleet's L2 (`[shared] cache = true`), counted in `hits` too.
        var sharedHits = 0
    }

    private struct State {
        var store: ResponseCacheStore
        var hits = 0
        var misses = 0
        var staleServes = 0
        var coalescedJoins = 0
        var stores = 0
        var savedMicroUSD: MicroUSD = 0
        var savedUnknown = 0
        var sharedHits = 0
    }

    private let state: NIOLockedValueBox<State>
    private let configuration: @Sendable () -> CacheConfig
    private let clock: any GatewayClock

    /// The fleet's L2 (`[shared] cache = true`); nil: this daemon's memory only.
    private let shared: (any SharedState)?

    init(
        configuration: @escaping @Sendable () -> CacheConfig,
        clock: any GatewayClock = SystemClock(),
        shared: (any SharedState)? = nil
    ) {
        let config = configuration()
        self.configuration = configuration
        self.clock = clock
        self.shared = shared?.sharesCache == true ? shared : nil
        self.state = NIOLockedValueBox(
            State(store: ResponseCacheStore(maxBytes: config.maxBytes, staleWindow: config.staleIfError))
        )
    }

    /// The cache's part in `request`, or nil when it stays out: the cache is off, the request said `mode: "off"`,
    /// or the request may answer differently each time and neither the configuration (`cache_nondeterministic`)
    /// nor the request (an explicit `mode`) asked to cache it anyway. Deterministic: `temperature = 0` (not with
    /// Anthropic's extended thinking, which is sent no temperature), or a `seed` the first target's kind is sent
    /// (Anthropic and DeepSeek take none).
    func policy(for request: GenerateRequest, kind: ProviderKind?, config: CacheConfig) -> Policy? {
        guard config.enabled else { return nil }
        let options = request.cache
        let mode = options.mode ?? .on
        guard mode != .off else { return nil }
        let chat = request.chat
        let thinkingDropsTemperature = chat.thinks && kind == .anthropic
        let seedIsSent = chat.seed != nil && kind != .anthropic && kind != .deepseek
        let deterministic = (chat.temperature == 0 && !thinkingDropsTemperature) || seedIsSent
        guard deterministic || config.cacheNondeterministic || options.mode != nil else { return nil }
        // A namespace cannot hold a control character (params reject them): NUL separates the two parts.
        let tenant = config.shared ? "shared" : request.tenant ?? "uid:\(request.caller.uid)"
        return Policy(
            mode: mode,
            partition: options.namespace.map { "\(tenant)\u{0}\($0)" } ?? tenant,
            namespace: options.namespace,
            ttl: options.ttl ?? config.ttl,
            maxAge: options.maxAge,
            coalesces: config.coalesce && mode.reads,
            servesStale: mode != .writeOnly && config.staleIfError > .zero,
            fit: request.fit, config: config
        )
    }

    /// A fresh entry for `key`, counted as a hit or a miss. `again`: the request already missed once, so a hit
    /// turns its miss into a hit and a miss counts nothing.
    func lookup(_ key: CacheKey, policy: Policy, again: Bool = false) -> ResponseCacheStore.Entry? {
        let now = self.clock.now
        return self.withState(policy.config) { state in
            switch state.store.lookup(key, at: now, maxAge: policy.maxAge) {
            case .fresh(let entry):
                state.hits += 1
                if again { state.misses -= 1 }
                Self.countSaving(entry.answer, in: &state)
                return entry
            case .expired, .miss:
                if !again { state.misses += 1 }
                return nil
            }
        }
    }

    /// Whether a miss here is looked up in the fleet's L2 too.
    var sharesEntries: Bool { self.shared != nil }

    /// After a miss in memory: the fleet's entry, kept here for the time it has left and counted as a hit (the
    /// miss counted before becomes one). Not for a request with `max_age`: the L2 does not say how old it is.
    func sharedLookup(_ key: CacheKey, policy: Policy) async -> ResponseCacheStore.Entry? {
        guard let shared = self.shared, policy.maxAge == nil,
            let (answer, left) = await shared.cachedAnswer(key)
        else { return nil }
        let now = self.clock.now
        return self.withState(policy.config) { state in
            _ = state.store.insert(answer, for: key, ttl: left, at: now)
            guard case .fresh(let entry) = state.store.lookup(key, at: now, maxAge: nil) else { return nil }
            state.hits += 1
            state.misses -= 1
            state.sharedHits += 1
            Self.countSaving(entry.answer, in: &state)
            return entry
        }
    }

    /// An entry within the stale-if-error window for the first of `keys` that has one (counted as a stale serve).
    func stale(_ keys: [CacheKey], policy: Policy) -> ResponseCacheStore.Entry? {
        let now = self.clock.now
        return self.withState(policy.config) { state in
            for key in keys {
                guard let entry = state.store.stale(key, at: now) else { continue }
                state.staleServes += 1
                Self.countSaving(entry.answer, in: &state)
                return entry
            }
            return nil
        }
    }

    /// A joiner of a flight was answered by the leader's call: a hit (its lookup was counted a miss).
    func countCoalesced(saving: MicroUSD?) {
        self.state.withLockedValue { state in
            state.coalescedJoins += 1
            state.misses -= 1
            if let saving { state.savedMicroUSD += saving } else { state.savedUnknown += 1 }
        }
    }

    /// Removes the entries of `namespace` and/or `model` (`model` or `provider:model`; nil and nil: all).
    func clear(namespace: String?, model: String?) -> Int {
        self.withState(self.configuration()) { state in
            state.store.removeAll { answer in
                (namespace.map { answer.namespace == $0 } ?? true)
                    && (model.map { answer.target.model == $0 || answer.target.description == $0 } ?? true)
            }
        }
    }

    var stats: Stats {
        let config = self.configuration()
        return self.withState(config) { state in
            Stats(
                enabled: config.enabled, entries: state.store.count, bytes: state.store.bytes,
                maxBytes: state.store.maxBytes,
                hits: state.hits, misses: state.misses, staleServes: state.staleServes,
                coalescedJoins: state.coalescedJoins, evictions: state.store.evictions, stores: state.stores,
                savedMicroUSD: state.savedMicroUSD, savedUnknown: state.savedUnknown, sharedHits: state.sharedHits
            )
        }
    }

    // MARK: - Storing, from the outcome report

    func attemptFinished(_ outcome: AttemptOutcome) {}

    /// Stores a complete answer under the target that gave it (a fallback's answer never fills the primary's
    /// entry): finish `stop` or `length`, not restarted, valid JSON when JSON was asked; never an error, a refusal,
    /// a truncated stream or an answer that came from the cache itself.
    func requestFinished(_ outcome: RequestOutcome) {
        guard let lookup = outcome.cache, lookup.policy.mode.writes, case .answered(let result) = outcome.result,
            let answer = Self.storable(result, outcome: outcome)
        else { return }
        let policy = lookup.policy
        // Stored under the target that answered: the lookup's key when that was the one looked up.
        let key = lookup.target == result.target ? lookup.key! : policy.key(outcome.request.chat, target: result.target)
        var stored = answer
        stored.namespace = policy.namespace
        let now = self.clock.now
        self.withState(policy.config) { state in
            if state.store.insert(stored, for: key, ttl: policy.ttl, at: now) { state.stores += 1 }
        }
        self.shared?.store(stored, for: key, ttl: policy.ttl)
    }

    static func storable(_ result: GenerateResult, outcome: RequestOutcome) -> CachedAnswer? {
        let details = result.details
        guard details.served == nil, !details.restarted else { return nil }
        let completion = result.completion
        guard completion.finishReason == .stop || completion.finishReason == .length else { return nil }
        if outcome.request.chat.responseFormat.wantsJSON, details.json == nil { return nil }
        return CachedAnswer(
            text: completion.text, reasoning: completion.reasoning, finishReason: completion.finishReason,
            model: completion.model, usage: result.usage, usageEstimated: result.usageEstimated,
            deltaEnds: details.deltaEnds, target: result.target,
            // What a hit saves: the answering attempt, not failed attempts or rejected answers before it.
            costMicroUSD: result.attempts.last?.charge?.cost?.total, json: details.json
        )
    }

    // MARK: - Internals

    private static func countSaving(_ answer: CachedAnswer, in state: inout State) {
        if let cost = answer.costMicroUSD { state.savedMicroUSD += cost } else { state.savedUnknown += 1 }
    }

    /// Runs `body` on the state, with `config`'s limits applied first (a reload changes them).
    private func withState<T>(_ config: CacheConfig, _ body: (inout State) -> T) -> T {
        self.state.withLockedValue { state in
            if state.store.maxBytes != config.maxBytes || state.store.staleWindow != config.staleIfError {
                state.store.setLimits(maxBytes: config.maxBytes, staleWindow: config.staleIfError)
            }
            return body(&state)
        }
    }
}

/// What the gateway decided about a request's cache use, passed along in its outcome.
struct CacheLookup: Sendable {
    var policy: ResponseCache.Policy
    /// The key looked up under, on `target` (nil: no target to look up).
    var key: CacheKey?
    var target: TargetRef?
}
