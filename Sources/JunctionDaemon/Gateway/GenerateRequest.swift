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
    /// The front end's name for the request in logs (the JSON-RPC id, for example); opaque to the gateway.
    let label: String

    init(
        chat: ChatRequest,
        timeout: Duration? = nil,
        client: String? = nil,
        caller: PeerCredentials = PeerCredentials(uid: 0, gid: 0, pid: 0),
        label: String = "-"
    ) {
        self.chat = chat
        self.timeout = timeout
        self.client = client
        self.caller = caller
        self.label = label
    }

    var selection: RouteSelection { RouteSelection(route: self.chat.route, model: self.chat.model) }
}
