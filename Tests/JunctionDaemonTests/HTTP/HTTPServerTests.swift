import Foundation
import JunctionCore
import NIOConcurrencyHelpers
import Testing

@testable import JunctionDaemon

/// The listener in-process, on a free loopback port, with a router of its own; a raw socket client sees the bytes.
@Suite("HTTP server: keep-alive, HEAD, limits, timeouts, drain")
struct HTTPServerTests {
    private static func router(gate: Gate? = nil) -> HTTPRouter {
        var router = HTTPRouter()
        router.add(.GET, "/hello") { _ in .text(.ok, "hello") }
        router.add(.POST, "/echo") { request in
            .bytes(.ok, contentType: "application/octet-stream", Array(request.body.readableBytesView))
        }
        router.add(.GET, "/stream") { _ in
            .stream(contentType: "text/event-stream") { writer in
                for index in 1...3 { try await writer.write("data: \(index)\n\n") }
            }
        }
        router.add(.GET, "/peer") { request in .text(.ok, "\(request.peer)") }
        router.add(.GET, "/slow") { _ in
            await gate?.wait()
            return .text(.ok, "slow done")
        }
        router.add(.GET, "/fail") { _ in throw HTTPError(status: .conflict, message: "no") }
        return router
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        let harness = try await HTTPServerHarness.start(router: Self.router())
        let connection = try RawHTTPConnection(port: harness.port)
        for _ in 0..<3 {
            let response = try connection.request("GET", "/hello")
            #expect(response.status == 200)
            #expect(response.text == "hello\n")
            #expect(response.header("connection") == nil)
        }
        #expect(harness.server.connectionCount == 1)
        try await harness.stop()
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let harness = try await HTTPServerHarness.start(router: Self.router())
        let connection = try RawHTTPConnection(port: harness.port)
        try connection.send(
            "GET /hello HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        #expect(try connection.readResponse()?.text == "hello\n")
        #expect(try connection.readResponse()?.text == "abc")
        #expect(try connection.readResponse()?.status == 404)
        try await harness.stop()
    }

    @Test func connectionCloseAndHTTP10CloseAfterTheResponse() async throws {
        let harness = try await HTTPServerHarness.start(router: Self.router())
        let closing = try RawHTTPConnection(port: harness.port)
        let response = try closing.request("GET", "/hello", headers: ["Connection: close"])
        #expect(response.header("connection") == "close")
        #expect(closing.waitForClose(timeout: .seconds(30)))
        let old = try RawHTTPConnection(port: harness.port)
        try old.send("GET /hello HTTP/1.0\r\n\r\n")
        #expect(try old.readResponse()?.text == "hello\n")
        #expect(old.waitForClose(timeout: .seconds(30)))
        try await harness.stop()
    }

    @Test func headAnswersTheHeadersOfGetWithoutTheBody() async throws {
        let harness = try await HTTPServerHarness.start(router: Self.router())
        let connection = try RawHTTPConnection(port: harness.port)
        let head = try connection.request("HEAD", "/hello")
        #expect(head.status == 200)
        #expect(head.header("content-length") == "6")
        #expect(head.body.isEmpty)
        // The connection is still in step: the next answer is the next request's.
        #expect(try connection.request("GET", "/hello").text == "hello\n")
        try await harness.stop()
    }

    @Test func unknownPathsAre404AndOtherMethods405WithAllow() async throws {
        let harness = try await HTTPServerHarness.start(router: Self.router())
        let missing = try httpGet(port: harness.port, "/missing")
        #expect(missing.status == 404)
        #expect(missing.text.hasPrefix("not found: /missing"))
        let connection = try RawHTTPConnection(port: harness.port)
        let wrong = try connection.request("DELETE", "/hello")
        #expect(wrong.status == 405)
        #expect(wrong.header("allow") == "GET, HEAD")
        let thrown = try connection.request("GET", "/fail")
        #expect(thrown.status == 409)
        #expect(thrown.text == "no\n")
        try await harness.stop()
    }

    @Test func streamedBodiesAreChunked() async throws {
        let harness = try await HTTPServerHarness.start(router: Self.router())
        let connection = try RawHTTPConnection(port: harness.port)
        let response = try connection.request("GET", "/stream")
        #expect(response.header("transfer-encoding") == "chunked")
        #expect(response.header("content-type") == "text/event-stream")
        #expect(response.text == "data: 1\n\ndata: 2\n\ndata: 3\n\n")
        #expect(try connection.request("GET", "/hello").status == 200)
        try await harness.stop()
    }

    @Test func oversizedHeadersAre431() async throws {
        var settings = HTTPServerSettings()
        settings.maxHeaderBytes = 2048
        let harness = try await HTTPServerHarness.start(router: Self.router(), settings: settings)
        let connection = try RawHTTPConnection(port: harness.port)
        let big = "X-Big: " + String(repeating: "a", count: 4096)
        let response = try connection.request("GET", "/hello", headers: [big])
        #expect(response.status == 431)
        #expect(response.header("connection") == "close")
        #expect(response.text.contains("http.max_header_bytes"))
        #expect(connection.waitForClose(timeout: .seconds(30)))
        // Just under the limit passes.
        let fits = try httpGet(port: harness.port, "/hello", headers: ["X-Big: " + String(repeating: "a", count: 1500)])
        #expect(fits.status == 200)
        try await harness.stop()
    }

    @Test func oversizedBodiesAre413DeclaredOrChunked() async throws {
        var settings = HTTPServerSettings()
        settings.maxBodyBytes = 100
        let harness = try await HTTPServerHarness.start(router: Self.router(), settings: settings)
        let declared = try RawHTTPConnection(port: harness.port)
        try declared.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n")
        let refused = try #require(try declared.readResponse())
        #expect(refused.status == 413)
        #expect(refused.text.contains("http.max_body_bytes"))
        #expect(declared.waitForClose(timeout: .seconds(30)))

        let chunked = try RawHTTPConnection(port: harness.port)
        let chunk = String(repeating: "b", count: 80)
        try chunked.send(
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "50\r\n\(chunk)\r\n50\r\n\(chunk)\r\n0\r\n\r\n"
        )
        #expect(try chunked.readResponse()?.status == 413)

        let fits = try RawHTTPConnection(port: harness.port)
        try fits.send(
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + String(repeating: "c", count: 100)
        )
        #expect(try fits.readResponse()?.body.count == 100)
        try await harness.stop()
    }

    @Test func malformedRequestsAre400() async throws {
        let harness = try await HTTPServerHarness.start(router: Self.router())
        let connection = try RawHTTPConnection(port: harness.port)
        try connection.send("THIS IS NOT HTTP\r\n\r\n")
        let response = try #require(try connection.readResponse())
        #expect(response.status == 400)
        #expect(response.text.hasPrefix("malformed request"))
        #expect(connection.waitForClose(timeout: .seconds(30)))
        try await harness.stop()
    }

    @Test func connectionsOverTheLimitAreAnswered503AndClosed() async throws {
        var settings = HTTPServerSettings()
        settings.maxConnections = 2
        let harness = try await HTTPServerHarness.start(router: Self.router(), settings: settings)
        let first = try RawHTTPConnection(port: harness.port)
        let second = try RawHTTPConnection(port: harness.port)
        #expect(try first.request("GET", "/hello").status == 200)
        #expect(try second.request("GET", "/hello").status == 200)
        let third = try RawHTTPConnection(port: harness.port)
        let refused = try third.request("GET", "/hello")
        #expect(refused.status == 503)
        #expect(refused.header("retry-after") == "1")
        #expect(refused.text.contains("http.max_connections = 2"))
        #expect(third.waitForClose(timeout: .seconds(30)))
        // A slot freed is a slot served.
        first.hangUp()
        try poll(until: "the first connection is released") { harness.server.connectionCount == 1 }
        #expect(try httpGet(port: harness.port, "/hello").status == 200)
        try await harness.stop()
    }

    @Test func idleKeepAliveConnectionsAreClosedAfterTheIdleTimeout() async throws {
        var settings = HTTPServerSettings()
        settings.idleTimeout = .milliseconds(300)
        let harness = try await HTTPServerHarness.start(router: Self.router(), settings: settings)
        let connection = try RawHTTPConnection(port: harness.port)
        #expect(try connection.request("GET", "/hello").status == 200)
        let started = ContinuousClock.now
        #expect(connection.waitForClose(timeout: .seconds(30)))
        #expect(ContinuousClock.now - started >= .milliseconds(250))
        // A request that stops arriving half way is closed too.
        let stalled = try RawHTTPConnection(port: harness.port)
        try stalled.send("GET /hello HTTP/1.1\r\nHost: x\r\n")
        #expect(stalled.waitForClose(timeout: .seconds(30)))
        try await harness.stop()
    }

    @Test func drainFinishesTheResponseInFlightClosesIdleOnesAndStopsListening() async throws {
        let gate = Gate()
        let drained = NIOLockedValueBox(false)
        let harness = try await HTTPServerHarness.start(
            router: Self.router(gate: gate), onDraining: { drained.withLockedValue { $0 = true } }
        )
        let idle = try RawHTTPConnection(port: harness.port)
        #expect(try idle.request("GET", "/hello").status == 200)
        let busy = try RawHTTPConnection(port: harness.port)
        try busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        try poll(until: "the slow request is waiting") { gate.waiting == 1 }
        harness.server.startDraining()
        #expect(idle.waitForClose(timeout: .seconds(30)))
        #expect(drained.withLockedValue { $0 })
        #expect(throws: (any Error).self) { _ = try RawHTTPConnection(port: harness.port).request("GET", "/hello") }
        gate.open()
        let response = try #require(try busy.readResponse())
        #expect(response.text == "slow done\n")
        #expect(response.header("connection") == "close")
        try await harness.stop()
    }

    @Test func drainClosesWhatIsStillOpenAtTheDrainTimeout() async throws {
        let gate = Gate()
        var settings = HTTPServerSettings()
        settings.drainTimeout = .milliseconds(200)
        let harness = try await HTTPServerHarness.start(router: Self.router(gate: gate), settings: settings)
        let busy = try RawHTTPConnection(port: harness.port)
        try busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        try poll(until: "the slow request is waiting") { gate.waiting == 1 }
        let started = ContinuousClock.now
        harness.server.startDraining()
        #expect(busy.waitForClose(timeout: .seconds(30)))
        #expect(ContinuousClock.now - started >= .milliseconds(150))
        gate.open()
        try await harness.stop()
    }

    @Test func unixSocketPeersAreKnownByCredentials() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/http.sock"
        let harness = try await HTTPServerHarness.start(router: Self.router(), unixPath: path)
        let connection = try RawHTTPConnection(unixPath: path)
        let response = try connection.request("GET", "/peer")
        #expect(response.text.hasPrefix("unix uid=\(getuid()) "))
        let tcp = try httpGet(port: harness.port, "/peer")
        #expect(tcp.text.hasPrefix("127.0.0.1:"))
        var status = stat()
        #expect(stat(path, &status) == 0 && status.st_mode & 0o777 == 0o600)
        try await harness.stop()
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func anAddressInUseIsABindErrorNamingIt() async throws {
        let harness = try await HTTPServerHarness.start(router: Self.router())
        let address = HTTPListenAddress(host: "127.0.0.1", port: harness.port, isIPv6: false)
        let second = HTTPServer(
            targets: [.tcp(address)], router: Self.router(), settings: HTTPServerSettings(),
            logger: .init(label: "test")
        )
        do {
            try await second.bind()
            Issue.record("bound a port in use")
        } catch {
            #expect("\(error)" == "http.listen: cannot listen on 127.0.0.1:\(harness.port): Address already in use")
        }
        try await harness.stop()
    }
}

/// Holds handlers until opened; counts who waits.
final class Gate: Sendable {
    private let state = NIOLockedValueBox(
        (open: false, waiting: 0, continuations: [CheckedContinuation<Void, Never>]())
    )

    var waiting: Int { self.state.withLockedValue { $0.waiting } }

    func wait() async {
        await withCheckedContinuation { continuation in
            let resume = self.state.withLockedValue { state -> Bool in
                if state.open { return true }
                state.waiting += 1
                state.continuations.append(continuation)
                return false
            }
            if resume { continuation.resume() }
        }
    }

    func open() {
        let continuations = self.state.withLockedValue { state in
            state.open = true
            defer { state.continuations = [] }
            return state.continuations
        }
        for continuation in continuations { continuation.resume() }
    }
}
