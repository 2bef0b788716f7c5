import Foundation
import JunctionClient
import JunctionCore
import Testing

extension EndToEnd {
    /// A real Prometheus scrapes junctiond's `GET /metrics` on the operators' HTTP listener: what it stores is what
    /// the daemon served.
    @Suite("Prometheus scrapes junctiond")
    struct PrometheusScrapeTests {
        @Test func prometheusCountsEveryRequestTheDaemonServed() throws {
            guard let prometheus = PrometheusServer.path else {
                print("skipped: prometheus not found (Debian package prometheus; make deps installs it)")
                return
            }
            let sim = try SimProcess()
            let daemon = try sim.daemon(extra: "[http]\nlisten = [\"127.0.0.1:0\"]\n")
            let address = try Self.httpAddress(daemon)
            let server = try PrometheusServer(scraping: address, executable: prometheus)
            let client = try daemon.client()
            let sent = 7
            for number in 0..<sent {
                _ = try client.call("generate", params: ["prompt": .string("hi \(number)"), "model": "openai:gpt-4o-mini"])
            }
            #expect(try server.waitFor("sum(junction_requests_total)", toEqual: Double(sent)) == Double(sent))
            #expect(try server.value(of: "sum(junction_requests_total{outcome=\"success\",provider=\"openai\"})") == 7)
            #expect(try server.value(of: "up{job=\"junction\"}") == 1)
            // Exactly one status is current per provider.
            #expect(try server.value(of: "sum(junction_provider_status{provider=\"openai\"})") == 1)
        }

        /// The `host:port` the daemon's `[http]` listener bound (port 0 picks a free one, which the log names).
        static func httpAddress(_ daemon: DaemonProcess) throws -> String {
            var address: String?
            try poll(until: "junctiond logs its http address; log:\n\(daemon.log)") {
                guard let range = daemon.log.range(of: #"http listening address=127\.0\.0\.1:[0-9]+"#, options: .regularExpression)
                else { return false }
                address = String(daemon.log[range].split(separator: "=").last ?? "")
                return true
            }
            return address ?? ""
        }
    }
}
