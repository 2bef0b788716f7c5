import Foundation
import JunctionCore
import Testing

extension EndToEnd {
    /// The official `openai` and `anthropic` Python SDKs (pinned, in the virtualenv `make sdk-venv` builds under
    /// .build) against the real daemon's TCP API and junction-sim: Tests/SDK/sdk_checks.py.
    @Suite("the official OpenAI and Anthropic SDKs against the real daemon")
    struct SDKCompatibilityTests {
        static let python = packageRoot() + "/.build/sdk-venv/bin/python"
        static let checks = [
            "openai_chat_completion", "openai_stream_with_usage", "openai_structured_output", "openai_models_list",
            "openai_mid_stream_failure_is_an_error", "openai_cancel_closes_the_upstream_transfer", "anthropic_message",
            "anthropic_stream", "anthropic_raw_stream_events", "anthropic_count_tokens",
            "anthropic_mid_stream_failure_is_an_error", "anthropic_cancel_closes_the_upstream_transfer",
            "openai_errors_are_the_sdks_exceptions", "anthropic_errors_are_the_sdks_exceptions",
        ]

        @Test func everyCheckPasses() throws {
            guard FileManager.default.isExecutableFile(atPath: Self.python) else {
                Issue.record("no SDK virtualenv at \(Self.python): run `make sdk-venv` (make test does)")
                return
            }
            let sim = try SimProcess()
            let tokens = try TemporaryDirectory()
            let token = "sdk-token-0123456789abcdef"
            let brokeToken = "broke-token-0123456789abcdef"
            let tokenFile = try tokens.write("sdk", contents: token)
            let brokeFile = try tokens.write("broke", contents: brokeToken)
            let daemon = try sim.daemon(
                extra: """
                    [routes.flaky]
                    targets = ["openai:sim-cut-4", "anthropic:claude-3-5-haiku-latest"]

                    [budgets.broke-daily]
                    match = { client = "broke" }
                    daily_requests = 1

                    [http]
                    listen = ["127.0.0.1:0"]
                    [http.tokens.sdk]
                    token_file = "\(tokenFile)"
                    [http.tokens.broke]
                    token_file = "\(brokeFile)"
                    """
            )
            let port = try daemon.httpPort()
            let result = try runCommand(
                Self.python,
                [
                    packageRoot() + "/Tests/SDK/sdk_checks.py", "--base-url", "http://127.0.0.1:\(port)", "--token",
                    token, "--broke-token", brokeToken, "--sim-url", sim.baseURL,
                ],
                environment: ["PATH": "/usr/bin:/bin", "NO_PROXY": "*", "PYTHONDONTWRITEBYTECODE": "1"]
            )
            // The checks' details (the cancel's latency among them) stay in the test log.
            print(result.stdout, terminator: "")
            let lines = result.stdout.split(separator: "\n").map(String.init)
            for check in Self.checks {
                #expect(lines.contains { $0.hasPrefix("ok \(check):") }, "\(check): \(result.stdout)\(result.stderr)")
            }
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
            #expect(!result.stdout.contains(token) && !daemon.log.contains(token))
            #expect(try daemon.stop() == 0)
        }
    }
}
