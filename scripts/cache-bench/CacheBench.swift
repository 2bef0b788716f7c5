import ArgumentParser
import JunctionDaemon

/// `cache-bench`: the response cache's CPU per request on a miss workload (cache off, on without coalescing, on),
/// in process through the whole gateway. Run by `scripts/bench-cache.sh`; see BENCHMARKS.md for the figures.
@main
struct CacheBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache-bench",
        abstract: "Measure the response cache's CPU per request on misses, in process."
    )

    @Option(help: "Unique requests per measurement.")
    var requests = 100_000

    @Option(help: "Tasks sending requests at once.")
    var concurrency = 64

    @Option(help: "Alternations of the modes (the medians are reported).")
    var rounds = 7

    func run() async throws {
        let measurements = await CacheThroughput.misses(
            requests: self.requests, concurrency: self.concurrency, rounds: self.rounds
        )
        let off = measurements.first { $0.mode == .off }?.medianNanoseconds ?? 0
        for measurement in measurements {
            let rounds = measurement.rounds.map { Self.format($0 / 1000) }.joined(separator: " ")
            print(
                "\(measurement.mode.rawValue): \(Self.format(measurement.medianNanoseconds / 1000)) µs CPU per request"
                    + " (median of \(self.rounds); rounds \(rounds)); cost over off "
                    + "\(Self.format((measurement.medianNanoseconds - off) / 1000)) µs; entries \(measurement.stored)"
            )
        }
    }

    private static func format(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let sign = hundredths < 0 ? "-" : ""
        let magnitude = abs(hundredths)
        let fraction = String(magnitude % 100)
        return "\(sign)\(magnitude / 100).\(String(repeating: "0", count: 2 - fraction.count))\(fraction)"
    }
}
