import JunctionClient
import JunctionCore

/// The human-readable form of an error reply: the code and message, then what `data` says about how the
/// request failed (every attempt, every skipped target, partial output, a retry hint).
enum ErrorOutput {
    /// The whole error object, as `--json` prints it.
    static func json(_ reply: RPCClient.ErrorReply) -> JSONValue {
        var object: JSONObject = ["code": .int(reply.code), "message": .string(reply.message)]
        if let data = reply.data { object["data"] = data }
        return .object(object)
    }

    /// Lines for stderr, the first being `error CODE: MESSAGE`.
    static func lines(_ reply: RPCClient.ErrorReply) -> [String] {
        var lines = ["error \(reply.code): \(reply.message)"]
        guard let data = reply.data else { return lines }
        guard case .object(let object) = data else {
            lines.append("  data: \(data.compactText)")
            return lines
        }
        if let problems = object["problems"]?.arrayValue {
            for problem in problems { lines.append("  \(problem.stringValue ?? problem.compactText)") }
        }
        let attempts = object["attempts"]?.arrayValue ?? []
        if !attempts.isEmpty {
            lines.append("  attempts:")
            for (index, attempt) in attempts.enumerated() {
                lines.append("    \(index + 1). " + Self.attempt(attempt))
            }
        }
        let skipped = object["skipped"]?.arrayValue ?? []
        if !skipped.isEmpty {
            lines.append("  skipped:")
            for target in skipped { lines.append("    - " + Self.skipped(target)) }
        }
        if object["partial_output_sent"]?.boolValue == true {
            let characters = object["partial_output_chars"]?.intValue.map { "\($0) characters" } ?? "some output"
            lines.append("  partial output: \(characters) were streamed before the failure; discard them")
        }
        if let wait = object["retry_after_ms"]?.intValue {
            lines.append("  retry after: \(Self.milliseconds(wait))")
        }
        // Anything else the daemon put in `data` is still worth seeing; the fields above are summarised already
        // (provider, status, type and message repeat the last attempt).
        let summarised: Set<String> = [
            "problems", "attempts", "skipped", "partial_output_sent", "partial_output_chars", "retry_after_ms",
            "provider", "status", "type", "message",
        ]
        if attempts.isEmpty {
            for key in ["provider", "status", "type", "message"] {
                guard let value = object[key], value != .null else { continue }
                lines.append("  \(key): \(value.stringValue ?? value.compactText)")
            }
        }
        for key in object.keys.sorted() where !summarised.contains(key) {
            let value = object[key]!
            lines.append("  \(key): \(value.stringValue ?? value.compactText)")
        }
        return lines
    }

    /// `openai:gpt-4o-mini  server_error  status 503  reason http_503  waited 120 ms  took 35 ms: Service unavailable`
    static func attempt(_ attempt: JSONValue) -> String {
        var parts = [Self.target(attempt), attempt["outcome"]?.stringValue ?? "?"]
        if let status = attempt["status"]?.intValue { parts.append("status \(status)") }
        if let reason = attempt["reason"]?.stringValue { parts.append("reason \(reason)") }
        if let wait = attempt["wait_ms"]?.intValue, wait > 0 { parts.append("waited \(Self.milliseconds(wait))") }
        if let latency = attempt["latency_ms"]?.intValue { parts.append("took \(Self.milliseconds(latency))") }
        var text = parts.joined(separator: "  ")
        if let type = attempt["error_type"]?.stringValue { text += "  (\(type))" }
        if let message = attempt["error"]?.stringValue, !message.isEmpty { text += ": \(message)" }
        return text
    }

    /// `gemini:gemini-2.0-flash  breaker_open: 3 failures in a row  (for 4.2 s more)`
    static func skipped(_ target: JSONValue) -> String {
        var text = "\(Self.target(target))  \(target["reason"]?.stringValue ?? "?")"
        if let detail = target["detail"]?.stringValue, !detail.isEmpty { text += ": \(detail)" }
        if let remaining = target["until_ms"]?.intValue {
            // How long the reason still holds, in milliseconds from the answer.
            text += "  (for \(Self.milliseconds(max(0, remaining))) more)"
        }
        return text
    }

    private static func target(_ value: JSONValue) -> String {
        "\(value["provider"]?.stringValue ?? "?"):\(value["model"]?.stringValue ?? "?")"
    }

    /// `850 ms`, `4.2 s`.
    static func milliseconds(_ value: Int) -> String {
        guard value >= 1_000 else { return "\(value) ms" }
        return "\(value / 1_000).\(value % 1_000 / 100) s"
    }
}
