#if canImport(Glibc)
import Glibc
#endif
import CTOML

/// A parsed TOML document as plain values. TOMLKit 0.6.0 frees nothing it allocates: not the parsed tree (its
/// `TOMLTable` has no deinit), not the key lists (`keys`), not the copies its typed getters return (`string`,
/// `int`, ...), not the parse error — about 7.5 KB for the example configuration, on every load and reload.
/// This reads the document through the C API underneath TOMLKit (the same toml++ parser), frees every copy it is
/// handed, and empties the tree once it is read; only the root table's own object stays allocated, as the C API
/// has no call that deletes it (about 100 bytes per load).
indirect enum TOMLNode: Sendable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    /// Keys in the parser's order (sorted).
    case table([(key: String, value: TOMLNode)])
    case array([TOMLNode])
    /// A date, time or date-time: not used by the configuration, named for error messages.
    case other(String)

    static func == (lhs: TOMLNode, rhs: TOMLNode) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.double(let a), .double(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        case (.table(let a), .table(let b)): a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
        case (.array(let a), .array(let b)): a == b
        case (.other(let a), .other(let b)): a == b
        default: false
        }
    }

    /// The value at `key` of a table (nil for other nodes and missing keys).
    subscript(key: String) -> TOMLNode? {
        guard case .table(let entries) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }
}

/// A TOML syntax error: the parser's description and the line it points at.
struct TOMLSyntaxError: Error, Sendable, Equatable {
    var description: String
    var line: Int
}

enum TOMLDocument {
    /// Parses `text` into a `TOMLNode.table`.
    static func parse(_ text: String) throws(TOMLSyntaxError) -> TOMLNode {
        // The parser sets `description` only on failure; until then it points at a static empty string.
        let empty = UnsafeRawPointer(("" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
        var error = CTOMLParseError(
            description: empty, source: CTOMLSourceRegion(begin: CTOMLSourcePosition(), end: CTOMLSourcePosition())
        )
        guard let root = text.withCString({ tableCreateFromString($0, &error) }) else {
            let description = String(cString: error.description)
            free(UnsafeMutableRawPointer(mutating: error.description))
            throw TOMLSyntaxError(description: description, line: Int(error.source.begin.line))
        }
        let document = Self.table(root)
        // Frees every node of the tree; the root's own object cannot be freed through the C API.
        tableClear(root)
        return document
    }

    private static func table(_ table: OpaquePointer) -> TOMLNode {
        let count = tableSize(table)
        guard count > 0 else { return .table([]) }
        let keys = tableGetKeys(table)
        var entries: [(key: String, value: TOMLNode)] = []
        entries.reserveCapacity(count)
        for index in 0..<count {
            let key = keys[index]
            let name = String(cString: key)
            if let node = tableGetNode(table, key) { entries.append((name, Self.node(node))) }
            free(UnsafeMutableRawPointer(mutating: key))
        }
        free(UnsafeMutableRawPointer(mutating: keys))
        return .table(entries)
    }

    private static func node(_ node: OpaquePointer) -> TOMLNode {
        switch nodeType(node) {
        case .table:
            return nodeAsTable(node).map(Self.table) ?? .other("table")
        case .array:
            guard let array = nodeAsArray(node) else { return .other("array") }
            return .array((0..<arraySize(array)).map { Self.node(arrayGetNode(array, Int64($0))) })
        case .string:
            return Self.taking(nodeAsString(node)) { .string(String(cString: $0)) } ?? .other("string")
        case .integer:
            return Self.taking(nodeAsInt(node)) { .int(Int($0.pointee)) } ?? .other("int")
        case .floatingPoint:
            return Self.taking(nodeAsDouble(node)) { .double($0.pointee) } ?? .other("double")
        case .boolean:
            return Self.taking(nodeAsBool(node)) { .bool($0.pointee) } ?? .other("bool")
        case .date:
            return .other("date")
        case .timeType:
            return .other("time")
        case .dateTime:
            return .other("dateTime")
        }
    }

    /// Reads a copy the C API allocated for the caller, then frees it.
    private static func taking<T>(_ pointer: UnsafePointer<T>?, _ read: (UnsafePointer<T>) -> TOMLNode) -> TOMLNode? {
        guard let pointer else { return nil }
        defer { free(UnsafeMutableRawPointer(mutating: pointer)) }
        return read(pointer)
    }
}
