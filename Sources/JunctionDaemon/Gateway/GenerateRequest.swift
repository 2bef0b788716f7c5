import JunctionCore

/// What a front end asks the gateway: a validated chat request, its deadline, and who asks. A class: it travels
/// down the request's async path, and a reference keeps it out of every frame.
final class GenerateRequest: Sendable {
    let chat: ChatRequest
    /// The request's overall deadline from now; nil: `defaults.timeout`.
    let timeout: Duration?
    /// The caller's `client` label.
    let client: String?
    let caller: PeerCredentials
    /// The cache tenant when it is not the caller's uid: an HTTP token holder's (`token:NAME`), since every
    /// token holder runs as the daemon's own user.
    let tenant: String?
    /// The front end's name for the request in logs (the JSON-RPC id, for example); opaque to the gateway.
    let label: String
    /// The caller may call `admin.*` (budgets with `exempt_admins` do not limit it).
    let callerIsAdmin: Bool
    /// The request's own cache settings.
    let cache: CacheRequestOptions
    /// What to do when the prompt does not fit a target's window.
    let fit: FitMode
    /// Where work started for this request runs (a coalesced call's task): the caller's event loop, so that it
    /// does not hop to the global pool and back.
    let executor: (any TaskExecutor)?

    init(
        chat: ChatRequest,
        timeout: Duration? = nil,
        client: String? = nil,
        caller: PeerCredentials = PeerCredentials(uid: 0, gid: 0, pid: 0),
        tenant: String? = nil,
        label: String = "-",
        callerIsAdmin: Bool = false,
        cache: CacheRequestOptions = CacheRequestOptions(),
        fit: FitMode = .failOver,
        executor: (any TaskExecutor)? = nil
    ) {
        self.executor = executor
        self.callerIsAdmin = callerIsAdmin
        self.cache = cache
        self.fit = fit
        self.chat = chat
        self.timeout = timeout
        self.client = client
        self.caller = caller
        self.tenant = tenant
        self.label = label
    }

    /// The same request with another chat request (admission capping `max_tokens`).
    func with(chat: ChatRequest) -> GenerateRequest {
        GenerateRequest(
            chat: chat, timeout: self.timeout, client: self.client, caller: self.caller, tenant: self.tenant,
            label: self.label,
            callerIsAdmin: self.callerIsAdmin, cache: self.cache, fit: self.fit, executor: self.executor
        )
    }

    var selection: RouteSelection { RouteSelection(route: self.chat.route, model: self.chat.model) }
}
