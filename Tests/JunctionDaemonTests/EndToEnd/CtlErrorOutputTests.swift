import Foundation
import JunctionCore
import Testing

extension EndToEnd {
    /// How junctionctl renders error data, including fields the daemon sends only in rare situations.
    @Suite("junctionctl error output")
    struct CtlErrorOutputTests {
        private func ctl(_ arguments: [String]) throws -> CommandResult {
            try runCommand(binaryDirectory() + "/junctionctl", arguments, environment: ["PATH": "/usr/bin:/bin"])
        }

        @Test func everyAttemptSkippedTargetAndHintIsPrinted() throws {
            let error: JSONValue = [
                "code": -32001,
                "message": "No provider could answer (2 attempts, 2 targets skipped)",
                "data": [
                    "attempts": [
                        [
                            "provider": "openai", "model": "gpt-4o-mini", "outcome": "server_error", "status": 503,
                            "reason": "http_503", "latency_ms": 35, "wait_ms": 0, "error_type": .null,
                            "error": "Service unavailable",
                        ],
                        [
                            "provider": "anthropic", "model": "claude", "outcome": "stream_cut", "status": .null,
                            "reason": "stream_cut", "latency_ms": 1250, "wait_ms": 400,
                        ],
                    ],
                    "skipped": [
                        [
                            "provider": "gemini", "model": "flash", "reason": "breaker_open",
                            "detail": "3 failures in a row", "until_ms": 4200,
                        ],
                        ["provider": "qwen", "model": "plus", "reason": "disabled"],
                    ],
                    "partial_output_sent": true, "partial_output_chars": 120, "retry_after_ms": 1500,
                    "provider": "anthropic", "status": .null, "type": "stream_cut", "message": "stream cut",
                    "request_id": "r-42",
                ],
            ]
            let stub = try StubDaemon(error: error)
            let human = try self.ctl(["--socket", stub.socket, "generate", "hi"])
            #expect(human.status == 1)
            #expect(human.stdout.isEmpty)
            #expect(
                human.stderr == """
                    error -32001: No provider could answer (2 attempts, 2 targets skipped)
                      attempts:
                        1. openai:gpt-4o-mini  server_error  status 503  reason http_503  took 35 ms: Service unavailable
                        2. anthropic:claude  stream_cut  reason stream_cut  waited 400 ms  took 1.2 s
                      skipped:
                        - gemini:flash  breaker_open: 3 failures in a row  (for 4.2 s more)
                        - qwen:plus  disabled
                      partial output: 120 characters were streamed before the failure; discard them
                      retry after: 1.5 s
                      request_id: r-42

                    """
            )
            let json = try self.ctl(["--socket", stub.socket, "--json", "call", "ping"])
            #expect(json.status == 1)
            #expect(try JSONValue.parse(json.stdout) == error)
            #expect(json.stderr.isEmpty)
        }

        @Test func dataWithoutAttemptsStillShowsItsFields() throws {
            let stub = try StubDaemon(error: [
                "code": -32002, "message": "Upstream error from openai: bad request",
                "data": ["provider": "openai", "status": 400, "type": "invalid_request_error", "message": "bad request"],
            ])
            let result = try self.ctl(["--socket", stub.socket, "ping"])
            #expect(result.status == 1)
            #expect(
                result.stderr
                    == "error -32002: Upstream error from openai: bad request\n  provider: openai\n  status: 400\n"
                    + "  type: invalid_request_error\n  message: bad request\n"
            )
        }
    }
}
