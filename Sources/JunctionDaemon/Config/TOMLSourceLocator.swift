/// Finds the line on which a key of a TOML document is written, so that configuration errors can say
/// `junction.toml:12: server.max_connections: ...`. The TOML parser reports positions only for syntax errors;
/// this scanner recovers them for keys of a document that already parsed.
struct TOMLSourceLocator: Sendable {
    /// Dotted key path (array-of-table elements written `name[index]`) → 1-based line.
    private var lines: [String: Int] = [:]

    init(text: String) {
        var table = ""
        var arrayCounts: [String: Int] = [:]
        var openBrackets = 0  // inside a multi-line array value
        var inMultilineString = false
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            let line = Self.stripComment(rawLine).trimmingCharacters()
            if inMultilineString {
                if line.contains("\"\"\"") || line.contains("'''") { inMultilineString = false }
                continue
            }
            if openBrackets > 0 {
                openBrackets += Self.bracketBalance(line)
                continue
            }
            if line.isEmpty { continue }
            if line.hasPrefix("[[") {
                let name = Self.normalise(line.dropFirst(2).prefix { $0 != "]" })
                let index = arrayCounts[name, default: 0]
                arrayCounts[name] = index + 1
                table = "\(name)[\(index)]"
                self.record(table, number)
                continue
            }
            if line.hasPrefix("[") {
                table = Self.normalise(line.dropFirst().prefix { $0 != "]" })
                self.record(table, number)
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { continue }
            // A dotted key (`retry.max_retries = 3`) also defines its parents on this line.
            var path = table
            for part in Self.keyParts(line[..<equals]) {
                path = path.isEmpty ? part : "\(path).\(part)"
                self.record(path, number)
            }
            let value = line[line.index(after: equals)...]
            if (Self.occurrences(of: "\"\"\"", in: value) + Self.occurrences(of: "'''", in: value)) % 2 == 1 {
                inMultilineString = true
            }
            openBrackets = max(0, Self.bracketBalance(value))
        }
    }

    /// The line of `keyPath`, or of its closest enclosing table that has one.
    func line(of keyPath: String) -> Int? {
        var path = keyPath
        while !path.isEmpty {
            if let line = self.lines[path] { return line }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            path = String(path[..<cut])
        }
        return nil
    }

    private mutating func record(_ path: String, _ line: Int) {
        if self.lines[path] == nil { self.lines[path] = line }
    }

    private static func normalise<S: StringProtocol>(_ key: S) -> String {
        Self.keyParts(key).joined(separator: ".")
    }

    /// The parts of a dotted key, unquoted: `providers."eu.openai".retry` → providers, eu.openai, retry.
    /// Dots inside quotes belong to the name (the TOML parser reports such a table under the unquoted name).
    private static func keyParts<S: StringProtocol>(_ key: S) -> [String] {
        var parts: [String] = []
        var current = ""
        var quote: Character?
        for character in key {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "." {
                parts.append(current.trimmingCharacters())
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(quote == nil ? current.trimmingCharacters() : current)
        return parts
    }

    private static func stripComment<S: StringProtocol>(_ line: S) -> Substring {
        var quote: Character?
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            if let open = quote {
                if character == "\\", open == "\"" {
                    index = line.index(after: index)
                } else if character == open {
                    quote = nil
                }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "#" {
                return Substring(line[line.startIndex..<index])
            }
            if index < line.endIndex { index = line.index(after: index) }
        }
        return Substring(line)
    }

    private static func occurrences(of needle: String, in text: Substring) -> Int {
        let needle = Array(needle.utf8)
        let bytes = Array(text.utf8)
        guard bytes.count >= needle.count else { return 0 }
        var count = 0
        var index = 0
        while index <= bytes.count - needle.count {
            if Array(bytes[index..<index + needle.count]) == needle {
                count += 1
                index += needle.count
            } else {
                index += 1
            }
        }
        return count
    }

    private static func bracketBalance<S: StringProtocol>(_ text: S) -> Int {
        var balance = 0
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "[" {
                balance += 1
            } else if character == "]" {
                balance -= 1
            }
        }
        return balance
    }
}

extension StringProtocol {
    func trimmingCharacters() -> String {
        let start = self.firstIndex { !$0.isWhitespace } ?? self.endIndex
        let end = self.lastIndex { !$0.isWhitespace }.map { self.index(after: $0) } ?? start
        return String(self[start..<end])
    }
}
