import Foundation
import Testing

/// The Prometheus harness proven against a static exposition on loopback (the daemon's HTTP listener plugs in the
/// same way: `PrometheusServer(scraping: "127.0.0.1:PORT")`).
@Suite struct PrometheusServerTests {
    @Test func aRealPrometheusScrapesATargetAndAnswersQueries() throws {
        guard let prometheus = PrometheusServer.path else {
            print("skipped: prometheus not found (Debian package prometheus; make deps installs it)")
            return
        }
        let body = """
            # HELP junction_requests_total Finished generate requests.
            # TYPE junction_requests_total counter
            junction_requests_total{route="default",provider="a",model="m1",outcome="success"} 5
            junction_requests_total{route="default",provider="a",model="m1",outcome="timeout"} 2

            """
        let response =
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: "
            + "\(body.utf8.count)\r\n\r\n" + body
        let target = try OneWriteHTTPServer(response: Array(response.utf8))
        defer { target.stop() }
        let server = try PrometheusServer(scraping: "127.0.0.1:\(target.port)", executable: prometheus)
        try server.waitFor("sum(junction_requests_total)", toEqual: 7)
        #expect(try server.value(of: "sum(junction_requests_total{outcome=\"timeout\"})") == 2)
        #expect(try server.value(of: "up{job=\"junction\"}") == 1)
        #expect(target.requestsReceived >= 1)
        #expect(try server.value(of: "sum(junction_no_such_metric)") == nil)
    }
}
