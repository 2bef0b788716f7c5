import Foundation
import Testing

extension EndToEnd {
    @Suite("junctiond --check-config")
    struct CheckConfigTests {
        @Test func aBadLogLevelFailsTheCheckBesideTheFilesOwnProblems() throws {
            let directory = try TemporaryDirectory()
            let good = try directory.write("good.toml", contents: "[server]\nmax_connections = 10\n")
            let bad = try directory.write("bad.toml", contents: "[server]\nmax_connections = \"ten\"\n[nope]\n")
            let junctiond = binaryDirectory() + "/junctiond"
            let badLevel = try runCommand(junctiond, ["--check-config", "--config", good, "--log-level", "loud"])
            #expect(badLevel.status == 1)
            #expect(badLevel.stderr.contains("error: --log-level: must be one of trace, debug, info"))
            #expect(badLevel.stderr.contains("got \"loud\""))
            #expect(!badLevel.stdout.contains("configuration is valid"))
            let both = try runCommand(junctiond, ["--check-config", "--config", bad, "--log-level", "loud"])
            #expect(both.status == 1)
            #expect(both.stderr.contains("error: --log-level: must be one of"))
            #expect(both.stderr.contains("\(bad):3: nope: unknown key"))
            #expect(both.stderr.contains("\(bad): 3 problems found"))
            let fine = try runCommand(junctiond, ["--check-config", "--config", good, "--log-level", "debug"])
            #expect(fine.status == 0)
        }
    }
}
