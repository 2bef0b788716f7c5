import JunctionCore
import NIOHTTP1

/// A refusal or failure of an API request in API-neutral terms: the HTTP status a client library maps correctly,
/// a category each front end names in its own error envelope, and the message. The only place where
/// `GenerateFailure` kinds become HTTP statuses.
struct APIFailure: Error, Sendable, Equatable {
    /// What went wrong, as the error envelopes distinguish it.
    enum Category: String, Sendable, Equatable {
        case invalidRequest = "invalid_request"
        case notFound = "not_found"
        case authentication
        case permission
        case budgetExhausted = "budget_exhausted"
        case rateLimited = "rate_limited"
        case timeout
        case overloaded
        case noProviderAvailable = "no_provider_available"
        case upstream
        case structuredOutputInvalid = "structured_output_invalid"
        case internalError = "internal_error"
    }

    var status: HTTPResponseStatus
    var category: Category
    var message: String
    /// The request field at fault, for invalid requests.
    var param: String?
    /// A machine-readable detail: the budget's name, the provider's error type, the gateway's failure kind.
    var code: String?
    /// Whole seconds a client should wait before trying again (`Retry-After`).
    var retryAfterSeconds: Int?
    /// The daemon's request id, when the request got one.
    var requestID: String?

    /// An invalid request (400) naming its field.
    static func invalid(_ param: String?, _ message: String) -> APIFailure {
        APIFailure(status: .badRequest, category: .invalidRequest, message: message, param: param)
    }

    /// The daemon is shutting down: other daemons (or this one after a restart) answer.
    static let draining = APIFailure(
        status: .serviceUnavailable, category: .overloaded, message: "the daemon is shutting down; retry shortly",
        code: "draining", retryAfterSeconds: 1
    )

    /// A refusal before the pipeline (no or a wrong token).
    init(_ refusal: APIAuthFailure) {
        self.init(
            status: refusal.status, category: refusal.status == .forbidden ? .permission : .authentication,
            message: refusal.message
        )
    }

    init(
        status: HTTPResponseStatus,
        category: Category,
        message: String,
        param: String? = nil,
        code: String? = nil,
        retryAfterSeconds: Int? = nil,
        requestID: String? = nil
    ) {
        self.status = status
        self.category = category
        self.message = message
        self.param = param
        self.code = code
        self.retryAfterSeconds = retryAfterSeconds
        self.requestID = requestID
    }

    /// A gateway failure as the HTTP APIs answer it; `nowMilliseconds` (Unix) dates a budget's reset.
    init(_ failure: GenerateFailure, nowMilliseconds: Int64, now: ContinuousClock.Instant = .now) {
        let requestID = failure.requestID
        switch failure.kind {
        case .invalidRequest(let field, let message):
            // A name that routes nowhere is the client's "model not found".
            let unknown = field == "model" || field == "route"
            self.init(
                status: unknown ? .notFound : .badRequest, category: unknown ? .notFound : .invalidRequest,
                message: message, param: field, requestID: requestID
            )
        case .nothingConfigured(let message):
            self.init(
                status: .serviceUnavailable, category: .noProviderAvailable, message: message,
                code: "nothing_configured", requestID: requestID
            )
        case .timeout:
            self.init(
                status: .gatewayTimeout, category: .timeout, message: "the request's deadline passed",
                code: "timeout", requestID: requestID
            )
        case .rateLimited(let wait):
            self.init(
                status: .tooManyRequests, category: .rateLimited,
                message: failure.attempts.isEmpty ? "rate limited: no target has room now" : "rate limited by every target",
                code: "rate_limited", retryAfterSeconds: Self.seconds(wait), requestID: requestID
            )
        case .budgetExhausted(let refusal):
            let wait = refusal.resetsAt.map { max(1, Int(($0 - nowMilliseconds + 999) / 1000)) }
            self.init(
                status: .tooManyRequests, category: .budgetExhausted, message: refusal.message,
                code: refusal.budget, retryAfterSeconds: wait, requestID: requestID
            )
        case .upstream(let target, let error):
            let message = "\(target.provider): \(error.message)"
            let status = error.status.flatMap(Self.passedThrough) ?? .badGateway
            let retryable = status == .tooManyRequests || status == .serviceUnavailable
            self.init(
                status: status, category: status == .tooManyRequests ? .rateLimited : .upstream, message: message,
                code: error.type ?? error.kindName, retryAfterSeconds: retryable ? 1 : nil, requestID: requestID
            )
        case .noProviderAvailable:
            let attempts = failure.attempts.count
            let skipped = failure.skipped.count
            let soonest = failure.skipped.compactMap(\.reason.until).min()
            self.init(
                status: .serviceUnavailable, category: .noProviderAvailable,
                message: "no provider could answer (\(attempts) attempt\(attempts == 1 ? "" : "s"), \(skipped) "
                    + "target\(skipped == 1 ? "" : "s") skipped)" + Self.lastError(failure),
                code: "no_provider_available", retryAfterSeconds: soonest.map { Self.seconds($0 - now) } ?? 1,
                requestID: requestID
            )
        case .outOfFileDescriptors:
            self.init(
                status: .serviceUnavailable, category: .overloaded,
                message: "the daemon is out of file descriptors; retry shortly", code: "out_of_file_descriptors",
                retryAfterSeconds: 1, requestID: requestID
            )
        case .structuredOutputInvalid(let violations):
            self.init(
                status: .badGateway, category: .structuredOutputInvalid,
                message: "no answer matched the requested JSON format: "
                    + violations.prefix(5).joined(separator: "; "),
                code: "structured_output_invalid", requestID: requestID
            )
        }
    }

    /// Upstream statuses a client can act on keep their status; the rest are the gateway's 502.
    private static func passedThrough(_ status: Int) -> HTTPResponseStatus? {
        switch status {
        case 400, 404, 409, 413, 422, 429: HTTPResponseStatus(statusCode: status)
        // The provider is down or overloaded, and no other target answered.
        case 500...599: .serviceUnavailable
        // The provider refused Junction's own key or account: nothing the client can change.
        default: nil
        }
    }

    private static func lastError(_ failure: GenerateFailure) -> String {
        guard let last = failure.lastError, let target = failure.attempts.last?.target else { return "" }
        return "; last error from \(target.provider): \(last.message)"
    }

    /// A wait in whole seconds, rounded up, at least 1.
    private static func seconds(_ wait: Duration) -> Int {
        let milliseconds = wait.milliseconds
        return max(1, Int((milliseconds + 999) / 1000))
    }
}
