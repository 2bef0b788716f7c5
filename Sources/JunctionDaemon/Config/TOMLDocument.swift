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
    /// Whether each text is first parsed in a child process (see `parserCrash(on:)`). Off only where the parser is
    /// built without its assertions and every fork would count, in the configuration fuzzer.
    nonisolated(unsafe) static var isolatesParser = true

    /// Parses `text` into a `TOMLNode.table`.
    static func parse(_ text: String) throws(TOMLSyntaxError) -> TOMLNode {
        if Self.isolatesParser, let crash = Self.parserCrash(on: text) { throw crash }
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

    /// toml++ (TOMLKit's parser) aborts the process on some malformed keys, such as `[!` or `[é]`: an assertion in
    /// its `parse_key` that release builds keep too (found by fuzz-config). A configuration file must never take
    /// the daemon down, on start or on reload, so the text is parsed once in a forked child first; only if that
    /// child survives is it parsed here. A load costs one fork (about a millisecond); loads are rare.
    private static func parserCrash(on text: String) -> TOMLSyntaxError? {
        let child = text.withCString { cText -> pid_t in
            let pid = fork()
            guard pid == 0 else { return pid }
            // The child: C calls only, then _exit (no Swift runtime locks, no atexit handlers, no backtracer).
            let null = open("/dev/null", O_WRONLY)
            if null >= 0 { dup2(null, 2) }
            signal(SIGABRT, SIG_DFL)
            let empty = UnsafeRawPointer(("" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
            var error = CTOMLParseError(
                description: empty, source: CTOMLSourceRegion(begin: CTOMLSourcePosition(), end: CTOMLSourcePosition())
            )
            _ = tableCreateFromString(cText, &error)
            _exit(0)
        }
        // No child (out of processes): parse in-process as before.
        guard child > 0 else { return nil }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 {
            guard errno == EINTR else { return nil }
        }
        let signalled = status & 0x7F
        guard signalled != 0 else { return nil }
        return TOMLSyntaxError(
            description: "the TOML parser cannot read this file (it stopped with signal \(signalled)); look for a "
                + "table header or key that starts with a character a key cannot start with, such as `[!`",
            line: Self.firstSuspectHeader(in: text) ?? 0
        )
    }

    /// The 1-based line of the first table header whose name starts with a character no key can start with (the
    /// common way to hit the parser's assertion), if there is one.
    private static func firstSuspectHeader(in text: String) -> Int? {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var rest = line.drop { $0 == " " || $0 == "\t" }
            guard rest.first == "[" else { continue }
            rest = rest.dropFirst().drop { $0 == "[" || $0 == " " || $0 == "\t" }
            guard let first = rest.unicodeScalars.first else { continue }
            let bare = ("a"..."z").contains(first) || ("A"..."Z").contains(first) || ("0"..."9").contains(first) || first == "_" || first == "-" || first == "\"" || first == "'"
            if !bare { return index + 1 }
        }
        return nil
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
