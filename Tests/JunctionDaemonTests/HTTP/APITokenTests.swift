import Foundation
import Logging
import NIOHTTP1
import Testing

@testable import JunctionDaemon

@Suite("API tokens: config, presentation and constant-time matching")
struct APITokenTests {
    @Test func goodTokensAreRead() throws {
        let text = """
            [http]
            listen = ["127.0.0.1:8080"]
            protect_dashboard = true
            [http.tokens.ci-bot]
            token_file = "/etc/junction/tokens/ci-bot"
            [http.tokens.web]
            token_env = "WEB_TOKEN"
            """
        let http = try ConfigLoader.parse(text: text, file: "t.toml").config.http
        #expect(http.protectDashboard)
        #expect(
            http.tokens == [
                HTTPTokenConfig(name: "ci-bot", source: .file("/etc/junction/tokens/ci-bot")),
                HTTPTokenConfig(name: "web", source: .environment("WEB_TOKEN")),
            ]
        )
    }

    @Test func tokensNeedExactlyOneSourceAndAUsableName() throws {
        let text = """
            [http]
            listen = ["127.0.0.1:8080"]
            [http.tokens.ci-bot]
            token_file = "/etc/junction/tokens/ci-bot"
            [http.tokens.web]
            token_env = "WEB_TOKEN"
            [http.tokens.relative]
            token_file = "tokens/relative"
            [http.tokens.both]
            token_env = "A"
            token_credential = "b"
            [http.tokens."has space"]
            token_env = "C"
            [http.tokens.empty]
            [http.tokens.inline]
            token = "sk-inline"
            """
        var problems: [String] = []
        do {
            _ = try ConfigLoader.parse(text: text, file: "t.toml")
        } catch {
            problems = error.problems.map(\.description)
        }
        #expect(problems.contains { $0.contains("http.tokens.relative.token_file: must be an absolute path") })
        #expect(problems.contains { $0.contains("http.tokens.both.token_file: give only one of") })
        #expect(problems.contains { $0.contains("http.tokens.has space: is not a usable client name") })
        #expect(problems.contains { $0.contains("http.tokens.empty.token_file: is missing") })
        #expect(problems.contains { $0.contains("http.tokens.inline.token: unknown key") })
        #expect(!problems.contains { $0.contains("ci-bot") || $0.contains("http.tokens.web") })
    }

    @Test func theTokenIsReadFromEachHeaderAClientSends() {
        #expect(APIAuthenticator.presentedToken(["authorization": "Bearer abc123"]) == "abc123")
        #expect(APIAuthenticator.presentedToken(["authorization": "bearer  abc123 "]) == "abc123")
        #expect(APIAuthenticator.presentedToken(["x-api-key": "k-1"]) == "k-1")
        let basic = Data("user:pa:ss".utf8).base64EncodedString()
        #expect(APIAuthenticator.presentedToken(["authorization": "Basic " + basic], basic: true) == "pa:ss")
        // Basic is the dashboard's only: a browser sends it by itself, so it must not reach the API.
        #expect(APIAuthenticator.presentedToken(["authorization": "Basic " + basic]) == nil)
        #expect(APIAuthenticator.presentedToken(["authorization": "Digest x", "x-api-key": "k-2"]) == "k-2")
        #expect(APIAuthenticator.presentedToken(["authorization": "Bearer"]) == nil)
        #expect(APIAuthenticator.presentedToken(["authorization": "Digest x"]) == nil)
        #expect(APIAuthenticator.presentedToken([:]) == nil)
    }

    @Test func onlyAnEqualTokenMatchesAndItsNameIsTheCaller() {
        let tokens = APITokens([
            .init(name: "a", bytes: Array("token-number-one".utf8)), .init(name: "b", bytes: Array("token-2".utf8)),
        ])
        #expect(tokens.name(of: "token-number-one".utf8) == "a")
        #expect(tokens.name(of: "token-2".utf8) == "b")
        #expect(tokens.name(of: "token-number-on".utf8) == nil)
        #expect(tokens.name(of: "token-number-one!".utf8) == nil)
        #expect(tokens.name(of: "".utf8) == nil)
        #expect(APITokens.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!APITokens.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!APITokens.constantTimeEqual([1, 2], [1, 2, 0]))
    }

    @Test func aTCPCallerWithoutAnyConfiguredTokenIsToldTheConfigKey() {
        let authenticator = APIAuthenticator(isAdmin: { _ in true })
        let request = HTTPServerRequest(
            head: HTTPRequestHead(version: .http1_1, method: .POST, uri: "/v1/chat/completions"),
            body: .init(), peer: .tcp(address: "127.0.0.1", port: 5000)
        )
        guard case .failure(let refusal) = authenticator.caller(for: request) else {
            Issue.record("a TCP caller was admitted without any token configured")
            return
        }
        #expect(refusal.status == .unauthorized)
        #expect(refusal.message.contains("[http.tokens.NAME]"))
        let withToken = APIAuthenticator(
            isAdmin: { _ in true }, tokens: APITokens([.init(name: "ci", bytes: Array("s3cret-s3cret-s3cret".utf8))])
        )
        var presented = request
        presented.head.headers.add(name: "authorization", value: "Bearer s3cret-s3cret-s3cret")
        let caller = try? withToken.caller(for: presented).get()
        #expect(caller?.client == "ci")
        #expect(caller?.isAdmin == false)
    }
}
