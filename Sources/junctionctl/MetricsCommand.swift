import ArgumentParser
import JunctionClient
import JunctionCore

struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the Prometheus metrics exposition (what GET /metrics serves), e.g. for promtool."
    )
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let result = try self.global.call("metrics")
        if self.global.json {
            print(result.compactText)
            return
        }
        if result["enabled"] == false {
            writeStderr("junctionctl: metrics are disabled in the daemon's configuration ([metrics] enabled = false)\n")
        }
        // The text ends with a newline already.
        print(result["text"]?.stringValue ?? "", terminator: "")
    }
}
