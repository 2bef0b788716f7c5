import NIOHTTP1

/// Decides who an API request comes from: a Unix-socket peer by its kernel-reported credentials; a TCP peer by
/// its bearer token.
struct APIAuthenticator: Sendable {
    /// Whether a Unix-socket peer may call `admin.*` (the RPC socket's rule).
    var isAdmin: @Sendable (PeerCredentials) -> Bool

    /// The caller of `request`, or why it is refused.
    func caller(for request: HTTPServerRequest) -> Result<APICaller, APIAuthFailure> {
        switch request.peer {
        case .unix(let credentials):
            return .success(APICaller(peer: credentials, client: nil, isAdmin: self.isAdmin(credentials)))
        case .tcp:
            return .failure(
                APIAuthFailure(
                    status: .unauthorized,
                    message: "the TCP API needs a bearer token, and none is configured: add [http.tokens.NAME] "
                        + "with token_file to the configuration, or use the http.listen_unix socket"
                )
            )
        }
    }
}
