import Foundation
import NIOHTTP1

/// Decides who an API request comes from: a Unix-socket peer by its kernel-reported credentials; a TCP peer by
/// the token it presents (`Authorization: Bearer`, the Anthropic SDK's `x-api-key`, or a browser's Basic
/// authentication with the token as the password).
struct APIAuthenticator: Sendable {
    /// Whether a Unix-socket peer may call `admin.*` (the RPC socket's rule).
    var isAdmin: @Sendable (PeerCredentials) -> Bool
    var tokens = APITokens([])
    /// The credentials a token holder's requests carry: the daemon's own user (a TCP peer has no other).
    var daemonCredentials = PeerCredentials(uid: getuid(), gid: getgid(), pid: 0)

    /// The caller of `request`, or why it is refused.
    func caller(for request: HTTPServerRequest) -> Result<APICaller, APIAuthFailure> {
        switch request.peer {
        case .unix(let credentials):
            return .success(APICaller(peer: credentials, client: nil, isAdmin: self.isAdmin(credentials)))
        case .tcp:
            // No Basic authentication here: a browser that learnt the token at the dashboard's prompt sends it by
            // itself, and a hostile page could then spend on the API with a form post.
            return self.tokenHolder(request, basic: false).map { name in
                APICaller(peer: self.daemonCredentials, client: name, isAdmin: false)
            }
        }
    }

    /// The name of the token `request` presents, or why it is refused.
    func tokenHolder(_ request: HTTPServerRequest, basic: Bool) -> Result<String, APIAuthFailure> {
        guard self.tokens.configured else {
            return .failure(
                APIAuthFailure(
                    message: "the TCP API needs a token, and none is configured: add [http.tokens.NAME] with "
                        + "token_file (or token_env, token_credential) to the configuration, or use the "
                        + "http.listen_unix socket"
                )
            )
        }
        guard let presented = Self.presentedToken(request.headers, basic: basic) else {
            return .failure(
                APIAuthFailure(
                    message: "no token: send \"Authorization: Bearer <token>\" (or x-api-key) with a token from "
                        + "[http.tokens]"
                )
            )
        }
        guard let name = self.tokens.name(of: presented.utf8) else {
            return .failure(APIAuthFailure(message: "the token is not one of the configured [http.tokens]"))
        }
        return .success(name)
    }

    /// The token in `Authorization: Bearer`, `Authorization: Basic` (the password; only when `basic`) or
    /// `x-api-key`.
    static func presentedToken(_ headers: HTTPHeaders, basic: Bool = false) -> String? {
        if let authorization = headers.first(name: "authorization") {
            // Split and compared without Foundation: this runs on every API request.
            let text = Substring(authorization)
            let trimmed = text.drop { $0 == " " || $0 == "\t" }
            let scheme = trimmed.prefix { $0 != " " && $0 != "\t" }
            let credential = Self.trimmed(trimmed.dropFirst(scheme.count))
            if Self.equalsIgnoringCase(scheme, "bearer"), !credential.isEmpty { return String(credential) }
            if basic, Self.equalsIgnoringCase(scheme, "basic"), let decoded = Data(base64Encoded: String(credential)),
                let pair = String(data: decoded, encoding: .utf8), let colon = pair.firstIndex(of: ":")
            {
                let password = String(pair[pair.index(after: colon)...])
                if !password.isEmpty { return password }
            }
        }
        // Another scheme (or none usable) does not hide an `x-api-key`.
        if let key = headers.first(name: "x-api-key"), !key.isEmpty { return key }
        return nil
    }

    /// `text` without spaces and tabs at either end.
    private static func trimmed(_ text: Substring) -> Substring {
        var text = text
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }

    /// Whether `text` is `lowercase` in any case (ASCII).
    private static func equalsIgnoringCase(_ text: Substring, _ lowercase: String) -> Bool {
        text.utf8.elementsEqual(lowercase.utf8) { ($0 | 0x20) == $1 }
    }
}
