import JunctionCore
import JunctionRPC
import Logging
import NIOConcurrencyHelpers
import Synchronization

/// What a method handler knows about the call it serves.
struct RequestContext: Sendable {
    /// The caller, from `SO_PEERCRED`.
    var peer: PeerCredentials
    /// The request id; nil for a notification.
    var id: RequestID?
    /// The connection the request arrived on (for `cancel` and for notifications such as stream deltas).
    var connection: RPCConnection
    /// Whether the caller is an administrator (root, the daemon's user, the admin group): set by the dispatcher
    /// from its admin policy before the handler runs. Non-admin callers see only their own uid's usage.
    var isAdmin = false
}

/// One RPC method: its name and the code that answers it.
///
/// A handler validates its params (throwing `RPCError.invalidParams` naming the field) and returns the result.
/// Throwing any other error is a bug: the caller sees -32603 and the daemon's log gets the details.
struct RPCMethod: Sendable {
    var name: String
    var handler: @Sendable (_ params: JSONValue?, _ context: RequestContext) async throws -> JSONValue

    init(
        _ name: String,
        handler: @escaping @Sendable (_ params: JSONValue?, _ context: RequestContext) async throws -> JSONValue
    ) {
        self.name = name
        self.handler = handler
    }

    /// Methods in the `admin.` namespace change the daemon and are reserved for administrators.
    var requiresAdmin: Bool { self.name.hasPrefix("admin.") }
}

/// Routes requests to methods, enforces the admin rule and turns every failure into a JSON-RPC error.
final class RPCDispatcher: Sendable {
    private let methods: [String: RPCMethod]
    private let adminPolicy: NIOLockedValueBox<AdminPolicy>
    private let logger: Logger
    private let dispatched = Atomic<Int>(0)

    init(methods: [RPCMethod], adminPolicy: AdminPolicy, logger: Logger) {
        self.methods = Dictionary(methods.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.adminPolicy = NIOLockedValueBox(adminPolicy)
        self.logger = logger
    }

    /// The names of every registered method, sorted (the schema test compares them with the OpenRPC document).
    var methodNames: [String] { self.methods.keys.sorted() }

    /// Replaces who counts as an administrator (after a reload changed `admin_group`).
    func updateAdminPolicy(_ policy: AdminPolicy) {
        self.adminPolicy.withLockedValue { $0 = policy }
    }

    /// Requests dispatched since start (the memory trimmer tells work from idleness by it).
    var dispatchedCount: Int { self.dispatched.load(ordering: .relaxed) }

    func dispatch(_ request: RPCRequest, context: RequestContext) async -> Result<JSONValue, RPCError> {
        self.dispatched.add(1, ordering: .relaxed)
        var context = context
        context.isAdmin = self.adminPolicy.withLockedValue({ $0 }).permits(context.peer)
        guard let method = self.admitted(request, context: context) else {
            return .failure(self.refusal(request, context: context))
        }
        do {
            return .success(try await method.handler(request.params, context))
        } catch {
            return .failure(self.rpcError(for: error, request: request))
        }
    }

    /// The method, when it exists and the caller may call it.
    private func admitted(_ request: RPCRequest, context: RequestContext) -> RPCMethod? {
        guard let method = self.methods[request.method] else { return nil }
        if method.requiresAdmin, !context.isAdmin { return nil }
        return method
    }

    /// Why `admitted` said no. Out of line, like `rpcError`: a held request's async frame stays small.
    @inline(never)
    private func refusal(_ request: RPCRequest, context: RequestContext) -> RPCError {
        guard self.methods[request.method] != nil else { return .methodNotFound(request.method) }
        self.logger.notice(
            "refused admin method to non-admin caller",
            metadata: ["method": "\(request.method)", "client_uid": "\(context.peer.uid)"]
        )
        return .permissionDenied(method: request.method)
    }

    @inline(never)
    private func rpcError(for error: any Error, request: RPCRequest) -> RPCError {
        switch error {
        case let error as RPCError:
            return error
        case is CancellationError:
            return .cancelled
        default:
            // The error's text may hold internals; it goes to the log, the caller gets the generic -32603.
            self.logger.error(
                "method failed with an unexpected error",
                metadata: [
                    "method": "\(request.method)", "request_id": "\(request.id?.description ?? "-")",
                    "error": "\(String(describing: type(of: error)))",
                ]
            )
            return .internalError
        }
    }
}
