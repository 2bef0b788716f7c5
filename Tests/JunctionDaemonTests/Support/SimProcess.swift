import Foundation
import JunctionClient
import JunctionCore

/// A real `junction-sim` on a free loopback port for one test.
final class SimProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    let logPath: String
    private let directory: TemporaryDirectory

    /// The address it listens on (loopback unless a test's network namespaces must reach it).
    let host: String

    init(tokenDelayMs: Int = 0, host: String = "127.0.0.1") throws {
        self.host = host
        self.directory = try TemporaryDirectory()
        self.logPath = self.directory.path + "/sim.log"
        _ = FileManager.default.createFile(atPath: self.logPath, contents: nil)
        let output = Pipe()
        self.process.executableURL = URL(fileURLWithPath: binaryDirectory() + "/junction-sim")
        self.process.arguments = ["--host", host, "--port", "0", "--token-delay-ms", "\(tokenDelayMs)"]
        self.process.standardOutput = output
        self.process.standardError = FileHandle(forWritingAtPath: self.logPath)
        try self.process.run()
        // The first line says where it listens: "junction-sim listening on 127.0.0.1:PORT".
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw DaemonFailed(message: "junction-sim exited before listening") }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let port = text.split(separator: ":").last.flatMap({ Int($0) }) else {
            throw DaemonFailed(message: "unexpected first line from junction-sim: \(text)")
        }
        self.port = port
    }

    var baseURL: String { "http://\(self.host):\(self.port)" }

    /// A configuration with one provider of each format pointing at this simulator.
    func providersConfig(extra: String = "") -> String {
        """
        [defaults]
        ttft_timeout = "2s"
        first_byte_timeout = "2s"
        stream_idle_timeout = "2s"
        timeout = "20s"

        [providers.openai]
        base_url = "\(self.baseURL)/v1"
        api_key_env = "TEST_OPENAI_KEY"
        [[providers.openai.models]]
        id = "gpt-4o-mini"
        context_window = 128000

        [providers.anthropic]
        base_url = "\(self.baseURL)"
        api_key_env = "TEST_ANTHROPIC_KEY"

        [providers.gemini]
        base_url = "\(self.baseURL)/v1beta"
        api_key_env = "TEST_GEMINI_KEY"

        [providers.deepseek]
        base_url = "\(self.baseURL)"
        api_key_env = "TEST_DEEPSEEK_KEY"

        [providers.qwen]
        base_url = "\(self.baseURL)/compatible-mode/v1"
        api_key_env = "TEST_QWEN_KEY"

        [providers.ollama]
        base_url = "\(self.baseURL)/v1"

        [providers.local]
        kind = "openai-compatible"
        base_url = "\(self.baseURL)/v1"

        [providers.cursor]
        kind = "cursor"
        base_url = "\(self.baseURL)/v1"
        api_key_env = "TEST_CURSOR_KEY"

        """ + extra
    }

    static let keys = [
        "TEST_OPENAI_KEY": "sk-openai-SECRET-1111", "TEST_ANTHROPIC_KEY": "sk-ant-SECRET-2222",
        "TEST_GEMINI_KEY": "gemini-SECRET-3333", "TEST_DEEPSEEK_KEY": "sk-deepseek-SECRET-4444",
        "TEST_QWEN_KEY": "sk-qwen-SECRET-5555", "TEST_CURSOR_KEY": "cursor-SECRET-6666",
    ]

    /// Stands for this simulator's base URL in `extra` configuration text.
    static let placeholder = "SIM_BASE_URL"

    /// A daemon configured with every provider pointing here.
    func daemon(extra: String = "", arguments: [String] = [], launcher: [String] = []) throws -> DaemonProcess {
        let extra = extra.replacingOccurrences(of: Self.placeholder, with: self.baseURL)
        return try DaemonProcess(
            config: self.providersConfig(extra: extra), arguments: arguments, environment: Self.keys, launcher: launcher
        )
    }

    /// The simulator's request log.
    func requests() throws -> [JSONValue] {
        let result = try runCommand("/usr/bin/curl", ["-s", "\(self.baseURL)/_sim/log"])
        return try JSONValue.parse(result.stdout)["requests"]?.arrayValue ?? []
    }

    func setFault(model: String, fault: String?) throws {
        let body: JSONValue = ["model": .string(model), "fault": fault.map(JSONValue.string) ?? .null]
        _ = try runCommand("/usr/bin/curl", ["-s", "-X", "POST", "-d", body.compactText, "\(self.baseURL)/_sim/faults"])
    }

    /// Makes the simulator report `usage` for `model` (every dialect in its own fields); nil: its own counts again.
    /// Keys: prompt, cached, cache_write, cache_write_1h, completion, reasoning (see SimUsage).
    func setUsage(model: String, usage: JSONValue?) throws {
        let body: JSONValue = ["model": .string(model), "usage": usage ?? .null]
        let result = try runCommand("/usr/bin/curl", ["-s", "-f", "-X", "POST", "-d", body.compactText, "\(self.baseURL)/_sim/usage"])
        guard result.status == 0 else { throw DaemonFailed(message: "junction-sim refused the usage: \(result.stdout)") }
    }

    /// Makes the simulator answer `model`'s chat requests with `answers` in turn, the last one repeating (to a
    /// forced Anthropic tool as a tool_use block when the text is a JSON object); nil or []: its own answer again.
    func setAnswers(model: String, answers: [String]?) throws {
        let texts = answers.map { JSONValue.array($0.map(JSONValue.string)) } ?? .null
        let body: JSONValue = ["model": .string(model), "answers": texts]
        let url = "\(self.baseURL)/_sim/answers"
        let result = try runCommand("/usr/bin/curl", ["-s", "-f", "-X", "POST", "-d", body.compactText, url])
        guard result.status == 0 else {
            throw DaemonFailed(message: "junction-sim refused the answers: \(result.stdout)")
        }
    }

    deinit {
        if self.process.isRunning {
            self.process.terminate()
            self.process.waitUntilExit()
        }
    }
}
