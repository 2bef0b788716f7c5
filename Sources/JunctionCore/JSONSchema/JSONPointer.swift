/// JSON Pointer (RFC 6901) helpers: escaping tokens for violation paths and schema locations, and reading the
/// pointer in a local `$ref` ("#/$defs/a%20b").
enum JSONPointer {
    /// Appends "/" and `token` with "~" written "~0" and "/" written "~1".
    static func append(_ token: String, to pointer: inout String) {
        pointer.append("/")
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else {
            pointer.append(token)
            return
        }
        for character in token.unicodeScalars {
            switch character {
            case "~": pointer.append("~0")
            case "/": pointer.append("~1")
            default: pointer.unicodeScalars.append(character)
            }
        }
    }

    /// The pointer made of `tokens`, escaped ("" for none).
    static func make(_ tokens: [String]) -> String {
        var pointer = ""
        for token in tokens { Self.append(token, to: &pointer) }
        return pointer
    }

    /// The tokens of a `$ref` fragment: `reference` starts with "#", the rest is percent-decoded (it is a URI
    /// fragment) and then read as a JSON Pointer. Nil when it is not one: no "/" after "#" (a plain-name anchor), a
    /// bad "%" escape or "~" escape, or bytes that are not UTF-8.
    static func tokens(ofFragment reference: String) -> [String]? {
        var bytes = Array(reference.utf8)
        guard bytes.first == UInt8(ascii: "#") else { return nil }
        bytes.removeFirst()
        guard let decoded = Self.percentDecoded(bytes), let text = String(validating: decoded, as: UTF8.self) else {
            return nil
        }
        if text.isEmpty { return [] }
        guard text.hasPrefix("/") else { return nil }
        var tokens: [String] = []
        for raw in text.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst() {
            guard let token = Self.unescaped(Array(raw)) else { return nil }
            tokens.append(token)
        }
        return tokens
    }

    /// The value `tokens` lead to from `root`, or nil. Array indexes are decimal without leading zeros.
    static func resolve(_ tokens: [String], in root: JSONValue) -> JSONValue? {
        var current = root
        for token in tokens {
            switch current {
            case .object(let object):
                guard let next = object[token] else { return nil }
                current = next
            case .array(let elements):
                guard let index = Self.arrayIndex(token), index < elements.count else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }

    private static func arrayIndex(_ token: String) -> Int? {
        guard !token.isEmpty, token.utf8.count <= 18, token == "0" || !token.hasPrefix("0"),
            token.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return Int(token)
    }

    private static func percentDecoded(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.contains(UInt8(ascii: "%")) else { return bytes }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "%") else {
                output.append(byte)
                index += 1
                continue
            }
            guard index + 2 < bytes.count, let high = Self.hexValue(bytes[index + 1]),
                let low = Self.hexValue(bytes[index + 2])
            else { return nil }
            output.append(high << 4 | low)
            index += 3
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// "~1" → "/", "~0" → "~"; any other "~" is an error.
    private static func unescaped(_ bytes: [UInt8]) -> String? {
        guard bytes.contains(UInt8(ascii: "~")) else { return String(decoding: bytes, as: UTF8.self) }
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "~") {
                guard index + 1 < bytes.count else { return nil }
                switch bytes[index + 1] {
                case UInt8(ascii: "0"): output.append(UInt8(ascii: "~"))
                case UInt8(ascii: "1"): output.append(UInt8(ascii: "/"))
                default: return nil
                }
                index += 2
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
