import Foundation
import JunctionClient
import JunctionCore
import Testing

extension EndToEnd {
    @Suite("HTTP API tokens on TCP, against the real daemon and junction-sim")
    struct APITokenEndToEndTests {
        static let token = "tok-CI-BOT-0123456789abcdef"
        static let otherToken = "tok-OTHER-0123456789abcdef"

        /// A daemon on loopback TCP with the token `ci-bot` in a file; `extra` goes into `[http]`.
        static func start(_ sim: SimProcess, tokens: TemporaryDirectory, http extra: String = "") throws -> (
            DaemonProcess, Int
        ) {
            let file = try tokens.write("ci-bot", contents: Self.token + "\n")
            let other = try tokens.write("other", contents: Self.otherToken)
            let daemon = try sim.daemon(
                extra: "\n[http]\nlisten = [\"127.0.0.1:0\"]\n\(extra)\n[http.tokens.ci-bot]\ntoken_file = \"\(file)\"\n"
                    + "[http.tokens.other]\ntoken_file = \"\(other)\"\n[http.tokens.missing]\ntoken_file = \"\(tokens.path)/absent\"\n"
            )
            return (daemon, try daemon.httpPort())
        }

        @Test func aTokenHolderIsServedUnderTheTokensNameAndOthersAreRefused() throws {
            let sim = try SimProcess()
            let tokens = try TemporaryDirectory()
            let (daemon, port) = try Self.start(sim, tokens: tokens)
            let chat = OpenAIAPIEndToEndTests.chat("gpt-4o-mini")
            let none = try RawHTTPConnection(port: port).post("/v1/chat/completions", json: chat)
            #expect(none.status == 401)
            #expect(try JSONValue.parse(none.text)["error"]?["type"] == "authentication_error")
            let wrong = try RawHTTPConnection(port: port).post(
                "/v1/chat/completions", json: chat, headers: ["Authorization: Bearer " + Self.token + "x"]
            )
            #expect(wrong.status == 401)
            #expect(try sim.requests().isEmpty)
            let bearer = try RawHTTPConnection(port: port).post(
                "/v1/chat/completions", json: chat, headers: ["Authorization: Bearer " + Self.token]
            )
            #expect(bearer.status == 200)
            // The Anthropic SDK's header, on the Anthropic route; its error shape for a refusal.
            let anthropic = AnthropicAPIEndToEndTests.message("gpt-4o-mini")
            let apiKey = try RawHTTPConnection(port: port).post(
                "/v1/messages", json: anthropic, headers: ["x-api-key: " + Self.token]
            )
            #expect(apiKey.status == 200)
            let refused = try RawHTTPConnection(port: port).post("/v1/messages", json: anthropic)
            #expect(refused.status == 401)
            #expect(try JSONValue.parse(refused.text)["error"]?["type"] == "authentication_error")
            // The dashboard's Basic answer, which a browser sends by itself, is no API token.
            let basic = Data("user:\(Self.token)".utf8).base64EncodedString()
            let fromBrowser = try RawHTTPConnection(port: port).post(
                "/v1/chat/completions", json: chat, headers: ["Authorization: Basic " + basic]
            )
            #expect(fromBrowser.status == 401)
            #expect(try sim.requests().count == 2)
            // Both answers are the token's: the ledger records them under its name.
            let client = try daemon.client()
            try poll(until: "two requests of ci-bot in the ledger") {
                let usage = try client.call("usage.get", params: ["since": "1h", "where": ["client": "ci-bot"]])
                return usage["totals"]?["requests"] == .int(2)
            }
            // The token that cannot be read is named in the log, and no token's value is.
            #expect(daemon.log.contains("http token unavailable"))
            #expect(daemon.log.contains("missing"))
            #expect(!daemon.log.contains(Self.token))
            #expect(try daemon.stop() == 0)
        }

        @Test func eachTokenHolderIsACacheTenantOfItsOwn() throws {
            let sim = try SimProcess()
            let tokens = try TemporaryDirectory()
            let (daemon, port) = try Self.start(sim, tokens: tokens)
            let chat = OpenAIAPIEndToEndTests.chat("gpt-4o-mini", extra: ",\"temperature\":0")
            func cache(_ token: String) throws -> String? {
                let response = try RawHTTPConnection(port: port).post(
                    "/v1/chat/completions", json: chat, headers: ["Authorization: Bearer " + token]
                )
                #expect(response.status == 200)
                return response.header("x-junction-cache")
            }
            #expect(try cache(Self.token) == "miss")
            try poll(until: "the answer stored") { try cache(Self.token) == "hit" }
            // Both run as the daemon's user; the other token's holder still never sees ci-bot's entry.
            #expect(try cache(Self.otherToken) == "miss")
            #expect(try daemon.stop() == 0)
        }

        @Test func theDashboardIsOpenOnLoopbackUnlessProtected() throws {
            let sim = try SimProcess()
            let tokens = try TemporaryDirectory()
            let (open, openPort) = try Self.start(sim, tokens: tokens)
            #expect(try RawHTTPConnection(port: openPort).request("GET", "/healthz").status == 200)
            #expect(try RawHTTPConnection(port: openPort).request("GET", "/metrics").status == 200)
            #expect(try open.stop() == 0)

            let (protected, port) = try Self.start(sim, tokens: tokens, http: "protect_dashboard = true")
            for path in ["/healthz", "/readyz", "/metrics", "/", "/api/stats"] {
                let refused = try RawHTTPConnection(port: port).request("GET", path)
                #expect(refused.status == 401, "\(path)")
                #expect(refused.header("www-authenticate")?.hasPrefix("Basic") == true, "\(path)")
            }
            // A browser's Basic answer: any user, the token as the password.
            let basic = Data("operator:\(Self.token)".utf8).base64EncodedString()
            let dashboard = try RawHTTPConnection(port: port).request("GET", "/", headers: ["Authorization: Basic " + basic])
            #expect(dashboard.status == 200)
            let metrics = try RawHTTPConnection(port: port).request(
                "GET", "/metrics", headers: ["Authorization: Bearer " + Self.token]
            )
            #expect(metrics.status == 200)
            #expect(try protected.stop() == 0)
        }
    }
}
