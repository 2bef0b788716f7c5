import JunctionCore
import JunctionProviders

/// Collects problems while a configuration is read, each located by key path and line.
final class ConfigReport {
    let file: String
    let locator: TOMLSourceLocator
    private(set) var problems: [ConfigProblem] = []

    init(file: String, locator: TOMLSourceLocator) {
        self.file = file
        self.locator = locator
    }

    /// The problems sorted by line (those without a line first), each line's in the order they were found.
    var problemsInFileOrder: [ConfigProblem] {
        self.problems.enumerated()
            .sorted { ($0.element.line ?? 0, $0.offset) < ($1.element.line ?? 0, $1.offset) }
            .map(\.element)
    }

    func add(keyPath: String, _ message: String) {
        self.problems.append(
            ConfigProblem(file: self.file, line: self.locator.line(of: keyPath), keyPath: keyPath, message: message)
        )
    }
}

/// A value of the document, as the readers match on it.
enum ConfigValue {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    /// A `TOMLNode.table`.
    case table(TOMLNode)
    case array([TOMLNode])
    case other(String)

    init(_ node: TOMLNode) {
        switch node {
        case .string(let text): self = .string(text)
        case .int(let number): self = .int(number)
        case .double(let number): self = .double(number)
        case .bool(let flag): self = .bool(flag)
        case .table: self = .table(node)
        case .array(let elements): self = .array(elements)
        case .other(let name): self = .other(name)
        }
    }

    var typeName: String {
        switch self {
        case .string: "a string"
        case .int: "an integer"
        case .double: "a float"
        case .bool: "a boolean"
        case .table: "a table"
        case .array: "an array"
        case .other(let name): "a \(name)"
        }
    }
}

/// Typed reading of one TOML table. Wrong types and unknown keys become problems in the shared report; the
/// getters return nil for them so that reading carries on and every problem is found in one pass.
struct ConfigTable {
    /// A `TOMLNode.table`.
    let table: TOMLNode
    /// The table's own key path ("" for the root).
    let path: String
    let report: ConfigReport

    var keys: [String] {
        guard case .table(let entries) = self.table else { return [] }
        return entries.map(\.key)
    }

    func keyPath(_ key: String) -> String { self.path.isEmpty ? key : "\(self.path).\(key)" }

    func problem(_ key: String, _ message: String) {
        self.report.add(keyPath: self.keyPath(key), message)
    }

    func value(_ key: String) -> ConfigValue? {
        self.table[key].map(ConfigValue.init)
    }

    private func wrongType(_ key: String, expected: String, got value: ConfigValue) {
        self.problem(key, "must be \(expected), got \(value.typeName)")
    }

    func string(_ key: String) -> String? {
        guard let value = self.value(key) else { return nil }
        guard case .string(let text) = value else {
            self.wrongType(key, expected: "a string", got: value)
            return nil
        }
        return text
    }

    func bool(_ key: String) -> Bool? {
        guard let value = self.value(key) else { return nil }
        guard case .bool(let flag) = value else {
            self.wrongType(key, expected: "true or false", got: value)
            return nil
        }
        return flag
    }

    func int(_ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = self.value(key) else { return nil }
        guard case .int(let number) = value else {
            self.wrongType(key, expected: "an integer", got: value)
            return nil
        }
        guard range.contains(number) else {
            self.problem(key, "must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
            return nil
        }
        return number
    }

    /// A number that may be written as an integer or a float.
    func number(_ key: String, minimum: Double) -> Double? {
        guard let value = self.value(key) else { return nil }
        let number: Double
        switch value {
        case .int(let integer): number = Double(integer)
        case .double(let double): number = double
        default:
            self.wrongType(key, expected: "a number", got: value)
            return nil
        }
        guard number >= minimum, number.isFinite else {
            self.problem(key, "must be at least \(minimum)")
            return nil
        }
        return number
    }

    func duration(_ key: String) -> Duration? {
        guard let value = self.value(key) else { return nil }
        guard case .string(let text) = value else {
            self.wrongType(key, expected: "a duration string such as \"30s\", \"250ms\" or \"5m\"", got: value)
            return nil
        }
        guard let duration = DurationText.parse(text) else {
            self.problem(key, "\"\(text)\" is not a duration (write e.g. \"30s\", \"250ms\", \"5m\")")
            return nil
        }
        return duration
    }

    /// `tls_min_version = "1.2" | "1.3"`.
    func tlsVersion(_ key: String) -> TLSVersion? {
        guard let text = self.string(key) else { return nil }
        guard let version = TLSVersion(rawValue: text) else {
            let known = TLSVersion.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
            self.problem(key, "must be \(known), got \"\(text)\"")
            return nil
        }
        return version
    }

    func table(_ key: String) -> ConfigTable? {
        guard let value = self.value(key) else { return nil }
        guard case .table(let table) = value else {
            self.wrongType(key, expected: "a table", got: value)
            return nil
        }
        return ConfigTable(table: table, path: self.keyPath(key), report: self.report)
    }

    /// An array of tables (`[[key]]`).
    func tables(_ key: String) -> [ConfigTable] {
        guard let value = self.value(key) else { return [] }
        guard case .array(let array) = value else {
            self.wrongType(key, expected: "an array of tables", got: value)
            return []
        }
        var tables: [ConfigTable] = []
        for (index, node) in array.enumerated() {
            let element = ConfigValue(node)
            guard case .table(let table) = element else {
                self.report.add(keyPath: "\(self.keyPath(key))[\(index)]", "must be a table, got \(element.typeName)")
                continue
            }
            tables.append(ConfigTable(table: table, path: "\(self.keyPath(key))[\(index)]", report: self.report))
        }
        return tables
    }

    func rejectUnknownKeys(allowed: Set<String>) {
        for key in self.keys where !allowed.contains(key) {
            let known = allowed.sorted().joined(separator: ", ")
            self.problem(key, "unknown key (known keys here: \(known))")
        }
    }
}
