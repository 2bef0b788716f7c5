import ArgumentParser
import JunctionDaemon

/// `metrics-bench`: the recorder's CPU per request (metrics on vs off) and the exposition's render time, in
/// process. Run by `scripts/bench-metrics.sh`; see BENCHMARKS.md for the figures.
@main
struct MetricsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics-bench",
        abstract: "Measure the metrics recorder's CPU per request and the exposition's render time."
    )

    @Option(help: "Outcome pairs (attempt + request) per measurement.")
    var requests = 200_000

    @Option(help: "Tasks reporting outcomes at once.")
    var concurrency = 64

    @Option(help: "Targets (provider:model) the requests are spread over.")
    var targets = 20

    @Option(help: "Alternations of metrics off and on (the medians are reported).")
    var rounds = 5

    @Option(help: "Expositions to render.")
    var scrapes = 500

    func run() async throws {
        let recording = await MetricsThroughput.recording(
            requests: self.requests, concurrency: self.concurrency, targets: self.targets, rounds: self.rounds
        )
        let on = recording.onNanoseconds / 1000
        let off = recording.offNanoseconds / 1000
        print(
            "recorder CPU per request (c\(self.concurrency), \(self.targets) targets, median of \(self.rounds)): "
                + "on \(Self.format(on)) µs, off \(Self.format(off)) µs, cost \(Self.format(on - off)) µs"
        )
        let scrape = await MetricsThroughput.scrape(targets: self.targets, scrapes: self.scrapes)
        let times = scrape.milliseconds
        func quantile(_ q: Double) -> Double { times[min(times.count - 1, Int(q * Double(times.count)))] }
        print(
            "exposition of \(self.targets) targets (\(scrape.series) series, \(scrape.bytes) bytes): "
                + "median \(Self.format(quantile(0.5))) ms, p95 \(Self.format(quantile(0.95))) ms, "
                + "max \(Self.format(times.last ?? 0)) ms"
        )
    }

    private static func format(_ value: Double) -> String {
        let thousandths = Int((value * 1000).rounded())
        let sign = thousandths < 0 ? "-" : ""
        let magnitude = abs(thousandths)
        let fraction = String(magnitude % 1000)
        return "\(sign)\(magnitude / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
