import Foundation
import Testing

extension EndToEnd {
    @Suite("Configuration from the environment, in the log")
    struct EnvironmentLogTests {
        @Test func theLogNamesTheVariablesUsedAndNeverTheirValues() throws {
            let daemon = try DaemonProcess(
                config: "[providers.qwen]\n[providers.cursor]\n",
                environment: [
                    "QWEN_API_KEY": "sk-qwen-NEVER-LOGGED-1", "CURSOR_API_KEY": "cursor-NEVER-LOGGED-2",
                    "CURSOR_BASE_URL": "http://127.0.0.1:9/v1",
                ]
            )
            let log = daemon.log
            #expect(log.contains("environment variables used: qwen: QWEN_API_KEY; cursor: CURSOR_API_KEY, CURSOR_BASE_URL"))
            #expect(!log.contains("NEVER-LOGGED"))
            // The same on a reload.
            let reload = try daemon.client().call("admin.reload")
            #expect(reload["providers"] == 2)
            try daemon.waitForLog("environment variables used:", occurrences: 2)
            #expect(daemon.log.components(separatedBy: "environment variables used:").count - 1 == 2)
        }
    }
}
