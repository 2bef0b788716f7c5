import NIOHTTP1

/// Who an API request comes from, as the pipeline sees it.
struct APICaller: Sendable, Equatable {
    /// The credentials budgets and the ledger record (a Unix peer's own; the daemon's for a TCP token holder).
    var peer: PeerCredentials
    /// The client label (a token's name); nil: the request's own label, if any.
    var client: String?
    var isAdmin: Bool
}

/// Why a request was refused before it reached the pipeline.
struct APIAuthFailure: Error, Sendable, Equatable {
    /// 401 or 403.
    var status: HTTPResponseStatus = .unauthorized
    var message: String
}
