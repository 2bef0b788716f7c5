import JunctionCore
import Logging
import NIOCore
import NIOHTTP1

/// What an API front end's streamed request yields, in order: the gateway's events, then its answer or failure.
enum APIStreamItem: Sendable {
    /// An attempt (or a cache replay) begins; its deltas follow.
    case started(target: TargetRef, requestID: String, served: CacheServe?)
    case delta(String)
    case reasoning(String)
    /// What was streamed so far is void: another attempt answers in full.
    case restart(reason: String)
    case finished(GenerateResult)
    case failed(APIFailure)
}

/// The one way the HTTP API front ends run a request through the gateway (the pipeline the socket uses): the
/// request built from the parsed params and the caller, the answer or the API failure, and streaming through an
/// ordered sequence of `APIStreamItem`s whose producer is cancelled when the consumer stops.
struct APIGeneration: Sendable {
    let gateway: Gateway
    /// The routing table now (model names resolve against it).
    let routing: @Sendable () -> RoutingTable
    /// Whether the daemon is shutting down (new requests get 503 with `Retry-After`).
    let isDraining: @Sendable () -> Bool
    let authenticator: APIAuthenticator
    /// `tokens.count`'s answer for a request and where it goes (the first target's count endpoint, else the
    /// estimate), or why the selection routes nowhere.
    let tokenCounter: @Sendable (ChatRequest, RouteSelection) async -> Result<JSONValue, RoutingError>
    let logger: Logger

    /// The gateway request for `parsed`, from `caller`; `label` names it in logs.
    func request(_ parsed: GenerateParams.Parsed, caller: APICaller, label: String) -> GenerateRequest {
        GenerateRequest(
            chat: parsed.request, timeout: parsed.timeout, client: caller.client ?? parsed.client, caller: caller.peer,
            tenant: caller.client.map { "token:" + $0 }, label: label, callerIsAdmin: caller.isAdmin,
            cache: parsed.cache, fit: parsed.fit
        )
    }

    /// Who sent `request`, or why it is refused; a draining daemon refuses everyone.
    func admit(_ request: HTTPServerRequest) -> Result<APICaller, APIFailure> {
        if self.isDraining() { return .failure(.draining) }
        return self.authenticator.caller(for: request).mapError(APIFailure.init)
    }

    /// The answer, or the failure as the APIs report it. Cancellation (the client left) propagates.
    func answer(_ request: GenerateRequest) async throws -> Result<GenerateResult, APIFailure> {
        do {
            return .success(try await self.gateway.generate(request, events: nil))
        } catch let failure as GenerateFailure {
            return .failure(APIFailure(failure, nowMilliseconds: WallClock.nowMilliseconds()))
        }
    }

    /// The prompt tokens of `request` (`tokens.count`'s result shape), or the routing failure as the APIs report it.
    func countTokens(_ request: ChatRequest) async -> Result<JSONValue, APIFailure> {
        let selection = RouteSelection(route: request.route, model: request.model)
        return await self.tokenCounter(request, selection).mapError { error in
            switch error.kind {
            case .invalidField(let field):
                let unknown = field == "model" || field == "route"
                return APIFailure(
                    status: unknown ? .notFound : .badRequest, category: unknown ? .notFound : .invalidRequest,
                    message: error.message, param: field
                )
            case .nothingConfigured:
                return APIFailure(
                    status: .serviceUnavailable, category: .noProviderAvailable, message: error.message,
                    code: "nothing_configured"
                )
            }
        }
    }

    /// Runs `request` streamed: `consume` reads its items; when `consume` returns or throws (the client went
    /// away), the request is cancelled, and with it the upstream transfer.
    func stream<T: Sendable>(
        _ request: GenerateRequest,
        _ consume: @escaping @Sendable (AsyncStream<APIStreamItem>) async throws -> T
    ) async throws -> T {
        let (items, continuation) = AsyncStream.makeStream(of: APIStreamItem.self)
        let gateway = self.gateway
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                do {
                    let result = try await gateway.generate(request) { event in
                        switch event {
                        case .started(_, let target, let requestID, let served):
                            continuation.yield(.started(target: target, requestID: requestID, served: served))
                        case .delta(_, _, let text): continuation.yield(.delta(text))
                        case .reasoning(_, let text): continuation.yield(.reasoning(text))
                        case .restart(_, let reason): continuation.yield(.restart(reason: reason))
                        }
                    }
                    continuation.yield(.finished(result))
                } catch let failure as GenerateFailure {
                    continuation.yield(.failed(APIFailure(failure, nowMilliseconds: WallClock.nowMilliseconds())))
                } catch {
                    // Cancelled: the consumer is gone.
                }
                continuation.finish()
                return nil
            }
            defer { group.cancelAll() }
            let value = try await consume(items)
            group.cancelAll()
            return value
        }
    }

    /// The model that answered, as the provider named it (the target's model when it named none).
    static func model(of result: GenerateResult) -> String {
        result.completion.model.isEmpty ? result.target.model : result.completion.model
    }

    /// The `x-junction-*` headers of an answer.
    static func headers(for result: GenerateResult) -> [(String, String)] {
        var headers: [(String, String)] = [
            ("x-junction-request-id", result.requestID),
            ("x-junction-provider", result.target.provider),
            ("x-junction-model", self.model(of: result)),
            ("x-junction-attempts", "\(result.attempts.count)"),
            ("x-junction-cache", result.details.served?.rawValue ?? "miss"),
        ]
        headers.append(("x-junction-cost-usd", result.cost.total.map(MicroUSDText.decimal) ?? "unknown"))
        return headers
    }

    /// The headers a stream can send before its answer is known: the request and the target answering.
    static func headers(target: TargetRef, requestID: String, served: CacheServe?) -> [(String, String)] {
        [
            ("x-junction-request-id", requestID),
            ("x-junction-provider", target.provider),
            ("x-junction-model", target.model),
            ("x-junction-cache", served?.rawValue ?? "miss"),
        ]
    }

    /// The headers of a failure: its request id, when it got one.
    static func headers(for failure: APIFailure) -> [(String, String)] {
        var headers: [(String, String)] = []
        if let requestID = failure.requestID { headers.append(("x-junction-request-id", requestID)) }
        if let seconds = failure.retryAfterSeconds { headers.append(("retry-after", "\(seconds)")) }
        // The SDKs retry a 429 by themselves; a budget only has room again at its reset, hours away at times.
        if failure.category == .budgetExhausted { headers.append(("x-should-retry", "false")) }
        return headers
    }
}
