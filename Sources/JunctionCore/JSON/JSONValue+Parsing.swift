/// Why a JSON text could not be parsed, and where.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        case unexpectedEnd
        case unexpectedByte(UInt8)
        case invalidNumber
        case invalidEscape
        case invalidUnicodeEscape
        case controlCharacterInString
        case invalidUTF8
        case tooDeep(limit: Int)
        /// An object with more members than the parser was told to accept.
        case tooManyKeys(limit: Int)
        case trailingData
    }

    public var reason: Reason
    /// Byte offset into the input at which the problem was found.
    public var offset: Int

    public var description: String {
        let what: String =
            switch self.reason {
            case .unexpectedEnd: "unexpected end of input"
            case .unexpectedByte(let byte):
                byte >= 0x20 && byte < 0x7F
                    ? "unexpected character '\(Character(Unicode.Scalar(byte)))'" : "unexpected byte 0x\(String(byte, radix: 16))"
            case .invalidNumber: "invalid number"
            case .invalidEscape: "invalid escape sequence in string"
            case .invalidUnicodeEscape: "invalid \\u escape in string"
            case .controlCharacterInString: "unescaped control character in string"
            case .invalidUTF8: "invalid UTF-8"
            case .tooDeep(let limit): "nesting deeper than \(limit) levels"
            case .tooManyKeys(let limit): "an object with more than \(limit) keys"
            case .trailingData: "unexpected data after the JSON value"
            }
        return "\(what) at byte \(self.offset)"
    }
}

extension JSONValue {
    /// Parses exactly one JSON value (surrounded by optional whitespace) from UTF-8 bytes.
    /// - Parameters:
    ///   - maxDepth: the deepest nesting of arrays and objects accepted; deeper input is rejected before it can
    ///     exhaust the stack.
    ///   - maxKeys: the most members one object may have. Parsing is linear in the number of keys either way;
    ///     the limit bounds what a caller can make the daemon hold and look through.
    public static func parse(
        _ bytes: UnsafeRawBufferPointer,
        maxDepth: Int = 64,
        maxKeys: Int = .max
    ) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth, maxKeys: maxKeys)
        return try parser.parseDocument()
    }

    public static func parse(
        _ bytes: [UInt8],
        maxDepth: Int = 64,
        maxKeys: Int = .max
    ) throws(JSONParseError) -> JSONValue {
        do {
            return try bytes.withUnsafeBytes { buffer in
                try JSONValue.parse(buffer, maxDepth: maxDepth, maxKeys: maxKeys)
            }
        } catch let error as JSONParseError {
            throw error
        } catch {
            fatalError("unreachable: parse throws only JSONParseError")
        }
    }

    public static func parse(
        _ text: String,
        maxDepth: Int = 64,
        maxKeys: Int = .max
    ) throws(JSONParseError) -> JSONValue {
        try JSONValue.parse(Array(text.utf8), maxDepth: maxDepth, maxKeys: maxKeys)
    }
}

/// A recursive-descent parser over a byte buffer. Depth is bounded, so recursion is too.
struct JSONParser {
    private let bytes: UnsafeRawBufferPointer
    private let maxDepth: Int
    private let maxKeys: Int
    private var index = 0
    private var depth = 0

    /// Members an object may have before duplicate keys are found through a hash index rather than a scan: the
    /// scan is quicker for the small objects of normal traffic, the index keeps a many-key object linear.
    private static let indexedObjectSize = 16

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int, maxKeys: Int = .max) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.maxKeys = maxKeys
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        let value = try self.parseValue()
        self.skipWhitespace()
        guard self.index == self.bytes.count else { throw self.error(.trailingData) }
        return value
    }

    private func error(_ reason: JSONParseError.Reason) -> JSONParseError {
        JSONParseError(reason: reason, offset: self.index)
    }

    private mutating func skipWhitespace() {
        while self.index < self.bytes.count {
            switch self.bytes[self.index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): self.index += 1
            default: return
            }
        }
    }

    private func peek() throws(JSONParseError) -> UInt8 {
        guard self.index < self.bytes.count else { throw self.error(.unexpectedEnd) }
        return self.bytes[self.index]
    }

    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        self.skipWhitespace()
        let byte = try self.peek()
        switch byte {
        case UInt8(ascii: "{"): return try self.parseObject()
        case UInt8(ascii: "["): return try self.parseArray()
        case UInt8(ascii: "\""): return .string(try self.parseString())
        case UInt8(ascii: "t"):
            try self.expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try self.parseNumber())
        default:
            throw self.error(.unexpectedByte(byte))
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        for offset in 0..<count {
            guard self.index + offset < self.bytes.count else {
                self.index += offset
                throw self.error(.unexpectedEnd)
            }
            guard self.bytes[self.index + offset] == literal.utf8Start[offset] else {
                self.index += offset
                throw self.error(.unexpectedByte(self.bytes[self.index]))
            }
        }
        self.index += count
    }

    private mutating func enterContainer() throws(JSONParseError) {
        self.depth += 1
        if self.depth > self.maxDepth { throw self.error(.tooDeep(limit: self.maxDepth)) }
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try self.enterContainer()
        self.index += 1  // {
        var object = JSONObject()
        // Key → position, filled once the object is large enough for a scan per key to add up (see
        // indexedObjectSize). Not optional: unwrapping a copy to update it would copy the whole table each time.
        var positions: [String: Int] = [:]
        self.skipWhitespace()
        if try self.peek() == UInt8(ascii: "}") {
            self.index += 1
            self.depth -= 1
            return .object(object)
        }
        while true {
            self.skipWhitespace()
            let quote = try self.peek()
            guard quote == UInt8(ascii: "\"") else { throw self.error(.unexpectedByte(quote)) }
            let key = try self.parseString()
            self.skipWhitespace()
            let colon = try self.peek()
            guard colon == UInt8(ascii: ":") else { throw self.error(.unexpectedByte(colon)) }
            self.index += 1
            let value = try self.parseValue()
            let existing = object.count < Self.indexedObjectSize ? object.position(of: key) : positions[key]
            if let existing {
                object.replaceValue(at: existing, with: value)
            } else {
                guard object.count < self.maxKeys else { throw self.error(.tooManyKeys(limit: self.maxKeys)) }
                if object.count >= Self.indexedObjectSize {
                    positions[key] = object.count
                }
                object.appendUnchecked(key: key, value: value)
                if object.count == Self.indexedObjectSize {
                    positions.reserveCapacity(4 * Self.indexedObjectSize)
                    for (position, member) in object.members.enumerated() { positions[member.key] = position }
                }
            }
            self.skipWhitespace()
            let separator = try self.peek()
            self.index += 1
            if separator == UInt8(ascii: ",") { continue }
            if separator == UInt8(ascii: "}") { break }
            self.index -= 1
            throw self.error(.unexpectedByte(separator))
        }
        self.depth -= 1
        return .object(object)
    }

    private mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try self.enterContainer()
        self.index += 1  // [
        var elements: [JSONValue] = []
        self.skipWhitespace()
        if try self.peek() == UInt8(ascii: "]") {
            self.index += 1
            self.depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try self.parseValue())
            self.skipWhitespace()
            let separator = try self.peek()
            self.index += 1
            if separator == UInt8(ascii: ",") { continue }
            if separator == UInt8(ascii: "]") { break }
            self.index -= 1
            throw self.error(.unexpectedByte(separator))
        }
        self.depth -= 1
        return .array(elements)
    }

    private mutating func parseNumber() throws(JSONParseError) -> String {
        let start = self.index
        func digit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        let count = self.bytes.count
        if self.bytes[self.index] == UInt8(ascii: "-") { self.index += 1 }
        guard self.index < count, digit(self.bytes[self.index]) else { throw self.error(.invalidNumber) }
        if self.bytes[self.index] == UInt8(ascii: "0") {
            self.index += 1
        } else {
            while self.index < count, digit(self.bytes[self.index]) { self.index += 1 }
        }
        if self.index < count, self.bytes[self.index] == UInt8(ascii: ".") {
            self.index += 1
            guard self.index < count, digit(self.bytes[self.index]) else { throw self.error(.invalidNumber) }
            while self.index < count, digit(self.bytes[self.index]) { self.index += 1 }
        }
        if self.index < count, self.bytes[self.index] | 0x20 == UInt8(ascii: "e") {
            self.index += 1
            if self.index < count, self.bytes[self.index] == UInt8(ascii: "+") || self.bytes[self.index] == UInt8(ascii: "-") {
                self.index += 1
            }
            guard self.index < count, digit(self.bytes[self.index]) else { throw self.error(.invalidNumber) }
            while self.index < count, digit(self.bytes[self.index]) { self.index += 1 }
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.index]), as: UTF8.self)
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        self.index += 1  // opening quote
        let start = self.index
        let count = self.bytes.count
        var sawNonASCII = false
        // Fast path: no escapes.
        while self.index < count {
            let byte = self.bytes[self.index]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.index])
                self.index += 1
                if !sawNonASCII { return String(decoding: slice, as: UTF8.self) }
                guard let text = String(validating: slice, as: UTF8.self) else {
                    throw JSONParseError(reason: .invalidUTF8, offset: start)
                }
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw self.error(.controlCharacterInString) }
            if byte >= 0x80 { sawNonASCII = true }
            self.index += 1
        }
        guard self.index < count else { throw self.error(.unexpectedEnd) }
        // Slow path: the string has escapes; collect its UTF-8 bytes.
        var utf8 = Array(UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.index]))
        while true {
            guard self.index < count else { throw self.error(.unexpectedEnd) }
            let byte = self.bytes[self.index]
            if byte == UInt8(ascii: "\"") {
                self.index += 1
                break
            }
            if byte < 0x20 { throw self.error(.controlCharacterInString) }
            if byte != UInt8(ascii: "\\") {
                utf8.append(byte)
                self.index += 1
                continue
            }
            self.index += 1
            let escape = try self.peek()
            self.index += 1
            switch escape {
            case UInt8(ascii: "\""): utf8.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): utf8.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): utf8.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                let scalar = try self.parseUnicodeEscape()
                utf8.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                self.index -= 1
                throw self.error(.invalidEscape)
            }
        }
        guard let text = String(validating: utf8, as: UTF8.self) else {
            throw JSONParseError(reason: .invalidUTF8, offset: start)
        }
        return text
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard self.index + 4 <= self.bytes.count else { throw self.error(.unexpectedEnd) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = self.bytes[self.index]
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: throw self.error(.invalidUnicodeEscape)
            }
            value = value << 4 | UInt32(nibble)
            self.index += 1
        }
        return value
    }

    private mutating func parseUnicodeEscape() throws(JSONParseError) -> Unicode.Scalar {
        let first = try self.parseHex4()
        if (0xD800...0xDBFF).contains(first) {
            guard self.index + 6 <= self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\\"),
                self.bytes[self.index + 1] == UInt8(ascii: "u")
            else { throw self.error(.invalidUnicodeEscape) }
            self.index += 2
            let second = try self.parseHex4()
            guard (0xDC00...0xDFFF).contains(second) else { throw self.error(.invalidUnicodeEscape) }
            let combined = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            guard let scalar = Unicode.Scalar(combined) else { throw self.error(.invalidUnicodeEscape) }
            return scalar
        }
        guard let scalar = Unicode.Scalar(first) else { throw self.error(.invalidUnicodeEscape) }
        return scalar
    }
}
