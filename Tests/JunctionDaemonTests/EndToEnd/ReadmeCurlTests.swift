import Foundation
import JunctionCore
import Testing

extension EndToEnd {
    /// The `curl` examples of the README's "Use it from the OpenAI and Anthropic SDKs" section, run as written
    /// (paths, port and token file swapped for the test's) against the real daemon and junction-sim.
    @Suite("README: the HTTP API's curl examples")
    struct ReadmeCurlTests {
        /// The shell commands of the README's block that shows `count_tokens`, continuation lines joined.
        static func commands() throws -> [String] {
            let readme = try String(contentsOfFile: packageRoot() + "/README.md", encoding: .utf8)
            let blocks = readme.components(separatedBy: "```sh\n").dropFirst().map {
                String($0.components(separatedBy: "\n```").first ?? "")
            }
            guard let block = blocks.first(where: { $0.contains("/v1/messages/count_tokens") }) else { return [] }
            var commands: [String] = []
            var current = ""
            for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                if current.isEmpty && (line.hasPrefix("#") || line.isEmpty) { continue }
                if line.hasSuffix("\\") {
                    current += line + "\n"
                } else if current.isEmpty && !line.hasPrefix("curl") {
                    continue
                } else {
                    current += line
                    // A quoted body spans lines: the command ends where its quotes balance.
                    if current.filter({ $0 == "'" }).count.isMultiple(of: 2) {
                        commands.append(current)
                        current = ""
                    } else {
                        current += "\n"
                    }
                }
            }
            return commands
        }

        @Test func theExamplesAnswerAsTheREADMESays() throws {
            let commands = try Self.commands()
            try #require(commands.count == 4, "the README's curl block changed: \(commands)")
            let sim = try SimProcess()
            let files = try TemporaryDirectory()
            let tokenFile = try files.write("app.token", contents: "readme-token-0123456789abcdef\n")
            let unixPath = "/tmp/junction-readme-\(UUID().uuidString.prefix(8)).sock"
            let daemon = try sim.daemon(
                extra: """
                    [routes.default]
                    targets = ["openai:gpt-4o-mini"]

                    [http]
                    listen = ["127.0.0.1:0"]
                    listen_unix = "\(unixPath)"
                    [http.tokens.app]
                    token_file = "\(tokenFile)"
                    """
            )
            let port = try daemon.httpPort()
            try daemon.waitForLog("http listening address=unix:\(unixPath)")
            let expected = ["\"object\":\"chat.completion\"", "data: [DONE]", "event: message_stop", "\"input_tokens\":"]
            for (command, answer) in zip(commands, expected) {
                let local = command.replacingOccurrences(of: "/run/junction/http.sock", with: unixPath)
                    .replacingOccurrences(of: "127.0.0.1:9470", with: "127.0.0.1:\(port)")
                    .replacingOccurrences(of: "/etc/junction/app.token", with: tokenFile)
                let result = try runCommand("/bin/bash", ["-c", local], environment: ["PATH": "/usr/bin:/bin"])
                #expect(result.status == 0, "\(command): \(result.stderr)")
                #expect(result.stdout.contains(answer), "\(command) answered: \(result.stdout)")
            }
            // Each reached the simulator: two chat completions, a message, a count.
            let paths = try sim.requests().compactMap { $0["path"]?.stringValue }
            #expect(paths.filter { $0.hasSuffix("/chat/completions") }.count == 2)
            #expect(paths.filter { $0.hasSuffix("/v1/messages") }.count == 1)
            #expect(paths.filter { $0.hasSuffix("/count_tokens") }.count == 1)
            #expect(try daemon.stop() == 0)
        }
    }
}
