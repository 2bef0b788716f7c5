/// One thing wrong with a configuration file, located as precisely as possible.
struct ConfigProblem: Error, Sendable, Equatable, CustomStringConvertible {
    var file: String
    /// 1-based; nil when the problem is not tied to a line (a missing file).
    var line: Int?
    /// The dotted path of the key, e.g. `server.max_connections` or `providers.openai.models[0].id`.
    var keyPath: String
    var message: String

    var description: String {
        var location = self.file
        if let line = self.line { location += ":\(line)" }
        return self.keyPath.isEmpty ? "\(location): \(self.message)" : "\(location): \(self.keyPath): \(self.message)"
    }
}

/// Every problem found in one file; loading reports all of them at once rather than one per attempt.
struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    var problems: [ConfigProblem]

    var description: String { self.problems.map(\.description).joined(separator: "\n") }
}
