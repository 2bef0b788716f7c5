import Testing

@testable import JunctionDaemon

@Suite("HTTP router")
struct HTTPRouterTests {
    private func router() -> HTTPRouter {
        var router = HTTPRouter()
        router.add(.GET, "/a") { _ in .text(.ok, "a") }
        router.add(.POST, "/v1/chat/completions", maxBodyBytes: 10) { _ in .text(.ok, "chat") }
        return router
    }

    @Test func matchesMethodAndExactPath() {
        guard case .handler(_, let route) = self.router().match(method: .POST, path: "/v1/chat/completions") else {
            Issue.record("no match")
            return
        }
        #expect(route.maxBodyBytes == 10)
        guard case .notFound = self.router().match(method: .GET, path: "/a/") else {
            Issue.record("a trailing slash is another path")
            return
        }
    }

    @Test func headUsesTheGetRoute() {
        guard case .handler(_, let route) = self.router().match(method: .HEAD, path: "/a") else {
            Issue.record("HEAD did not find GET")
            return
        }
        #expect(route.method == "GET")
    }

    @Test func anotherMethodOnAKnownPathListsTheAllowedOnes() {
        guard case .methodNotAllowed(let allow) = self.router().match(method: .DELETE, path: "/a") else {
            Issue.record("expected 405")
            return
        }
        #expect(allow == ["GET", "HEAD"])
        guard case .methodNotAllowed(let post) = self.router().match(method: .GET, path: "/v1/chat/completions") else {
            Issue.record("expected 405")
            return
        }
        #expect(post == ["POST"])
    }

    @Test func targetsAreSplitIntoPathAndQuery() {
        #expect(HTTPServerRequest.split("/readyz?format=json") == ("/readyz", "format=json"))
        #expect(HTTPServerRequest.split("http://example/metrics?x#f") == ("/metrics", "x"))
        #expect(HTTPServerRequest.split("http://example") == ("/", nil))
        #expect(HTTPServerRequest.split("/") == ("/", nil))
    }
}
