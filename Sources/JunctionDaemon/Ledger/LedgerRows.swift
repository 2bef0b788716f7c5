/// One finished request, as the ledger stores it (table `requests`).
struct LedgerRequestRow: Sendable, Equatable {
    var requestID: String
    /// UTC milliseconds since 1970 when the request started.
    var timeMs: Int64
    var uid: UInt32
    var gid: UInt32
    var pid: Int32
    var client: String?
    var route: String?
    var requestedModel: String?
    var provider: String?
    var model: String?
    var attempts: Int
    /// "ok", or the name of the error kind the request failed with.
    var outcome: String
    var errorCode: Int?
    var finishReason: String?
    var stream: Bool
    var promptTokens: Int
    var completionTokens: Int
    var cachedTokens: Int
    var cacheWriteTokens: Int
    var reasoningTokens: Int
    /// Integer micro-USD (1 USD = 1_000_000); nil: the cost is unknown (no price for the model).
    var costMicroUSD: Int?
    var priceVersion: String?
    var latencyMs: Int
    var ttftMs: Int?
    var promptSHA256: String
    /// How the response cache answered: "hit", "coalesced" or "stale"; nil: a provider did.
    var cache: String? = nil
    /// For an answer from the cache: what the original answer cost, i.e. what this request saved (nil: unknown or
    /// not from the cache).
    var savedMicroUSD: Int? = nil
}

/// One billed attempt of a request (table `attempts`), beside its request row.
struct LedgerAttemptRow: Sendable, Equatable {
    var requestID: String
    /// 1 for the first attempt.
    var number: Int
    var provider: String
    var model: String
    /// "ok", or the failure's reason code.
    var outcome: String
    var httpStatus: Int?
    var latencyMs: Int
    var promptTokens: Int
    var completionTokens: Int
    var cachedTokens: Int
    var cacheWriteTokens: Int
    var reasoningTokens: Int
    /// Integer micro-USD; nil: unknown.
    var costMicroUSD: Int?
}

/// A request row with its attempt rows: the unit the writer queues and writes.
struct LedgerEntry: Sendable, Equatable {
    var request: LedgerRequestRow
    var attempts: [LedgerAttemptRow]
}
