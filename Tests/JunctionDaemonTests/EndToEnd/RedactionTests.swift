import Foundation
import JunctionClient
import JunctionCore
import JunctionRPC
import Testing

extension EndToEnd {
    /// Issue 8, defect 2: a provider (or proxy) that echoes the request's credential headers in its error body
    /// must not hand the key to the caller, the log or the health report.
    @Suite("Secrets in upstream text")
    struct RedactionTests {
        /// Keys given inline in the configuration (the kinds that need none may still be given one, behind a proxy).
        static let inlineKeys = ["ollama": "ollama-inline-SECRET-7777", "local": "local-inline-SECRET-8888"]
        /// A key read from a file.
        static let fileKey = "cursor-file-SECRET-9999"

        /// One provider of every kind, each with a key (from the environment, a file or the configuration itself).
        static func config(_ sim: SimProcess, keyFile: String) -> String {
            let base = sim.baseURL
            return """
                [providers.openai]
                base_url = "\(base)/v1"
                api_key_env = "TEST_OPENAI_KEY"
                [providers.anthropic]
                base_url = "\(base)"
                api_key_env = "TEST_ANTHROPIC_KEY"
                [providers.gemini]
                base_url = "\(base)/v1beta"
                api_key_env = "TEST_GEMINI_KEY"
                [providers.deepseek]
                base_url = "\(base)"
                api_key_env = "TEST_DEEPSEEK_KEY"
                [providers.qwen]
                base_url = "\(base)/compatible-mode/v1"
                api_key_env = "TEST_QWEN_KEY"
                [providers.ollama]
                base_url = "\(base)/v1"
                api_key = "\(Self.inlineKeys["ollama"]!)"
                [providers.local]
                kind = "openai-compatible"
                base_url = "\(base)/v1"
                api_key = "\(Self.inlineKeys["local"]!)"
                [providers.cursor]
                kind = "cursor"
                base_url = "\(base)/v1"
                api_key_file = "\(keyFile)"
                """
        }

        @Test func echoedKeysNeverReachTheCallerForAnyProviderKind() throws {
            let sim = try SimProcess()
            let keys = try TemporaryDirectory()
            let keyFile = try keys.write("cursor.key", contents: Self.fileKey + "\n")
            let daemon = try DaemonProcess(config: Self.config(sim, keyFile: keyFile), environment: SimProcess.keys)
            let client = try daemon.client()
            let secrets = Array(SimProcess.keys.values) + Array(Self.inlineKeys.values) + [Self.fileKey]
            // Every kind the daemon speaks, one provider each.
            let providers = ["openai", "anthropic", "gemini", "deepseek", "qwen", "ollama", "local", "cursor"]
            let listed = try client.call("providers.list")["providers"]?.arrayValue ?? []
            let kinds = listed.compactMap { $0["kind"]?.stringValue }
            #expect(Set(kinds) == Set(ProviderKind.allCases.map(\.rawValue)), "\(kinds)")
            for provider in providers {
                let model = "\(provider):sim-echo"
                do {
                    _ = try client.call("generate", params: ["prompt": "hi", "model": .string(model)])
                    Issue.record("\(model) answered")
                } catch let reply as RPCClient.ErrorReply {
                    // Only booleans go into expectations, and failure messages show the answer with the keys masked
                    // (by plain replacement, not by the code under test): not even the test's output has a key.
                    let text = reply.json.compactText
                    let shown = secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "<KEY>") }
                    let leaked = secrets.contains { text.contains($0) }
                    #expect(!leaked, "\(model): a key reached the caller: \(shown)")
                    // The echo was there, and was replaced.
                    let echoed = text.contains("Headers received")
                    let replaced = text.contains(SecretRedactor.marker)
                    #expect(echoed && replaced, "\(model): \(shown)")
                }
            }
            // The simulator did receive the keys: every echo carried one.
            let echoes = try sim.requests().filter { $0["model"] == "sim-echo" }
            #expect(echoes.count == providers.count)
            let health = try client.call("providers.health").compactText
            let log = daemon.log
            let inHealth = secrets.contains { health.contains($0) }
            let inLog = secrets.contains { log.contains($0) }
            #expect(!inHealth, "a key reached providers.health")
            #expect(!inLog, "a key reached the daemon's log")
        }
    }
}
