import ArgumentParser
import JunctionDaemon
import Logging

/// `ledger-bench`: how many request rows per second the ledger's writer sustains without dropping any.
/// Run by `scripts/bench-ledger.sh`; see BENCHMARKS.md for the figures.
@main
struct LedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger-bench",
        abstract: "Feed the ledger writer at increasing rates and report written and dropped rows."
    )

    @Option(help: "The database file (created anew for every rate).")
    var path = "/tmp/junction-ledger-bench.sqlite"

    @Option(help: "Offered rates, rows per second, comma-separated.")
    var rates = "1000,5000,10000,20000,50000"

    @Option(help: "Seconds per rate.")
    var seconds = 10.0

    @Option(help: "The writer's queue capacity ([ledger] queue_capacity).")
    var queueCapacity = 10_000

    func run() async throws {
        // The writer's own lines (drops, "ledger closed") on stderr; the figures alone on stdout.
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        for rate in self.rates.split(separator: ",").compactMap({ Int($0) }) {
            let run = try await LedgerThroughput.run(
                path: self.path, perSecond: rate, seconds: self.seconds, queueCapacity: self.queueCapacity
            )
            print(run.description)
        }
    }
}
