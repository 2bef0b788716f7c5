/// Why a `pattern` was refused: what is wrong and at which Unicode scalar of the pattern.
struct PatternError: Error, Sendable, Equatable {
    var message: String
}

/// Reads a JSON Schema `pattern` (ECMA-262 syntax, with the `u` flag's code-point semantics) into a
/// `PatternNode`. Everything that can be matched in linear time is accepted: literals and escapes, `.`, classes,
/// `\d \w \s` (ASCII digits and word characters, Unicode white space, as ECMA-262 defines them) and their
/// negations, `\p{…}`, `^ $ \b \B`, groups, alternation and every quantifier. Backreferences and lookaround are
/// refused: they need a backtracking matcher, which untrusted patterns and input can make take exponential time.
/// As in Annex B, a `{` that does not start a quantifier, and a lone `]` or `}`, are literals.
struct PatternParser {
    private let scalars: [Unicode.Scalar]
    private var index = 0

    /// Deeper group nesting is refused, so that neither parsing nor compiling can exhaust the stack.
    static let maxGroupDepth = 64
    /// The largest `{n,m}` bound; the compiled program's size is limited separately (`PatternProgram`).
    static let maxRepetition = 1000

    init(_ source: String) {
        self.scalars = Array(source.unicodeScalars)
    }

    mutating func parse() throws(PatternError) -> PatternNode {
        let node = try self.parseAlternation(depth: 0)
        guard self.index == self.scalars.count else { throw self.error("unmatched ')'") }
        return node
    }

    private var peek: Unicode.Scalar? {
        self.index < self.scalars.count ? self.scalars[self.index] : nil
    }

    private func error(_ text: String) -> PatternError {
        PatternError(message: "\(text) at character \(self.index)")
    }

    private mutating func next() throws(PatternError) -> Unicode.Scalar {
        guard self.index < self.scalars.count else { throw self.error("unexpected end of pattern") }
        defer { self.index += 1 }
        return self.scalars[self.index]
    }

    // MARK: Structure

    private mutating func parseAlternation(depth: Int) throws(PatternError) -> PatternNode {
        var branches = [try self.parseConcatenation(depth: depth)]
        while self.peek == "|" {
            self.index += 1
            branches.append(try self.parseConcatenation(depth: depth))
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    private mutating func parseConcatenation(depth: Int) throws(PatternError) -> PatternNode {
        var items: [PatternNode] = []
        while let next = self.peek, next != "|", next != ")" {
            let (atom, quantifiable) = try self.parseAtom(depth: depth)
            items.append(try self.parseQuantifier(applyingTo: atom, quantifiable: quantifiable))
        }
        switch items.count {
        case 0: return .empty
        case 1: return items[0]
        default: return .concatenation(items)
        }
    }

    private mutating func parseAtom(depth: Int) throws(PatternError) -> (PatternNode, quantifiable: Bool) {
        let scalar = try self.next()
        switch scalar {
        case "(": return (try self.parseGroup(depth: depth), true)
        case "[": return (.set(try self.parseClass()), true)
        case ".": return (.set(.dot), true)
        case "^": return (.start, false)
        case "$": return (.end, false)
        case "\\": return try self.parseEscape()
        case "*", "+", "?":
            self.index -= 1
            throw self.error("nothing to repeat")
        case "{":
            self.index -= 1
            if try self.readQuantifier() != nil { throw self.error("nothing to repeat") }
            self.index += 1
            return (.scalar(scalar), true)
        default:
            return (.scalar(scalar), true)
        }
    }

    private mutating func parseGroup(depth: Int) throws(PatternError) -> PatternNode {
        guard depth < Self.maxGroupDepth else { throw self.error("groups nested deeper than \(Self.maxGroupDepth)") }
        if self.peek == "?" {
            self.index += 1
            switch try self.next() {
            case ":":
                break
            case "=", "!":
                throw self.error("lookahead is not supported")
            case "<":
                if self.peek == "=" || self.peek == "!" { throw self.error("lookbehind is not supported") }
                var nameLength = 0
                while let next = self.peek, next != ">" {
                    guard next.properties.isAlphabetic || ("0"..."9").contains(next) || next == "_" || next == "$"
                    else { throw self.error("invalid group name") }
                    nameLength += 1
                    self.index += 1
                }
                guard nameLength > 0, self.peek == ">" else { throw self.error("invalid group name") }
                self.index += 1
            default:
                self.index -= 1
                throw self.error("unsupported group syntax '(?'")
            }
        }
        let inner = try self.parseAlternation(depth: depth + 1)
        guard self.peek == ")" else { throw self.error("missing ')'") }
        self.index += 1
        return inner
    }

    // MARK: Quantifiers

    private mutating func parseQuantifier(
        applyingTo atom: PatternNode,
        quantifiable: Bool
    ) throws(PatternError) -> PatternNode {
        let start = self.index
        guard let (minimum, maximum) = try self.readQuantifier() else { return atom }
        guard quantifiable else {
            self.index = start
            throw self.error("nothing to repeat")
        }
        if self.peek == "?" { self.index += 1 }  // lazy: the same yes/no answer
        let after = self.index
        if try self.readQuantifier() != nil {
            self.index = after
            throw self.error("nothing to repeat")
        }
        return .repetition(atom, min: minimum, max: maximum)
    }

    /// Reads `*`, `+`, `?` or a well-formed `{n}`, `{n,}`, `{n,m}`; leaves the index alone (and returns nil) at
    /// anything else, so that a stray `{` stays a literal.
    private mutating func readQuantifier() throws(PatternError) -> (Int, Int?)? {
        guard let first = self.peek else { return nil }
        switch first {
        case "*":
            self.index += 1
            return (0, nil)
        case "+":
            self.index += 1
            return (1, nil)
        case "?":
            self.index += 1
            return (0, 1)
        case "{":
            break
        default:
            return nil
        }
        let start = self.index
        self.index += 1
        guard let minimum = self.readBound() else {
            self.index = start
            return nil
        }
        var maximum: Int? = minimum
        if self.peek == "," {
            self.index += 1
            maximum = self.readBound()
        }
        guard self.peek == "}" else {
            self.index = start
            return nil
        }
        self.index += 1
        if let maximum, maximum < minimum {
            throw self.error("repetition bounds out of order {\(minimum),\(maximum)}")
        }
        guard max(minimum, maximum ?? 0) <= Self.maxRepetition else {
            throw self.error("repetition bound above \(Self.maxRepetition)")
        }
        return (minimum, maximum)
    }

    /// Decimal digits, saturating just above `maxRepetition` (the caller refuses it).
    private mutating func readBound() -> Int? {
        var value: Int?
        while let next = self.peek, ("0"..."9").contains(next) {
            value = min((value ?? 0) * 10 + Int(next.value - 0x30), Self.maxRepetition + 1)
            self.index += 1
        }
        return value
    }

    // MARK: Escapes

    private mutating func parseEscape() throws(PatternError) -> (PatternNode, quantifiable: Bool) {
        let escaped = try self.next()
        switch escaped {
        case "b": return (.wordBoundary(negated: false), false)
        case "B": return (.wordBoundary(negated: true), false)
        case "1"..."9": throw self.error("backreferences are not supported")
        case "k": throw self.error("backreferences are not supported")
        default:
            if let set = try self.classEscape(escaped) { return (.set(set), true) }
            return (.scalar(try self.characterEscape(escaped)), true)
        }
    }

    /// `\d \D \w \W \s \S \p{…} \P{…}` (the backslash and letter already read), or nil for any other escape.
    private mutating func classEscape(_ escaped: Unicode.Scalar) throws(PatternError) -> PatternClass? {
        var set: PatternClass
        switch escaped {
        case "d", "D": set = .digit
        case "w", "W": set = .word
        case "s", "S": set = .space
        case "p", "P": return PatternClass(properties: [try self.parseProperty(negated: escaped == "P")])
        default: return nil
        }
        if escaped == "D" || escaped == "W" || escaped == "S" { set.negate() }
        return set
    }

    private mutating func parseProperty(negated: Bool) throws(PatternError) -> PatternProperty {
        guard self.peek == "{" else { throw self.error("\\p must be followed by {name}") }
        self.index += 1
        var name = ""
        while let next = self.peek, next != "}" {
            name.unicodeScalars.append(next)
            self.index += 1
        }
        guard self.peek == "}" else { throw self.error("unterminated \\p{") }
        self.index += 1
        guard let property = PatternProperty(name: name, negated: negated) else {
            if name.hasPrefix("Script") || name.hasPrefix("sc=") || name.hasPrefix("scx=") {
                throw self.error("Unicode script properties are not supported")
            }
            throw self.error("unknown Unicode property '\(name)'")
        }
        return property
    }

    /// An escape that stands for one scalar: control escapes, `\0`, `\cX`, `\xHH`, `\uHHHH` (surrogate pairs
    /// combined), `\u{H…}`, and identity escapes of punctuation. Other letters and digits are errors.
    private mutating func characterEscape(_ escaped: Unicode.Scalar) throws(PatternError) -> Unicode.Scalar {
        switch escaped {
        case "t": return "\t"
        case "n": return "\n"
        case "v": return "\u{0B}"
        case "f": return "\u{0C}"
        case "r": return "\r"
        case "0":
            if let next = self.peek, ("0"..."9").contains(next) { throw self.error("octal escapes are not supported") }
            return "\u{0}"
        case "c":
            guard let letter = self.peek, ("a"..."z").contains(letter) || ("A"..."Z").contains(letter) else {
                throw self.error("\\c must be followed by a letter")
            }
            self.index += 1
            return Unicode.Scalar(UInt8(letter.value % 32))
        case "x":
            let value = try self.readHex(count: 2)
            return Unicode.Scalar(UInt8(value))
        case "u":
            return try self.readUnicodeEscape()
        default:
            if escaped.isASCII, escaped.properties.isAlphabetic || ("0"..."9").contains(escaped) {
                self.index -= 1
                throw self.error("invalid escape '\\\(escaped)'")
            }
            return escaped
        }
    }

    private mutating func readUnicodeEscape() throws(PatternError) -> Unicode.Scalar {
        if self.peek == "{" {
            self.index += 1
            var value: UInt32 = 0
            var count = 0
            while let next = self.peek, next != "}" {
                guard let digit = Self.hexValue(next), count < 6 else { throw self.error("invalid \\u{…} escape") }
                value = value << 4 | digit
                count += 1
                self.index += 1
            }
            guard count > 0, self.peek == "}", let scalar = Unicode.Scalar(value) else {
                throw self.error("invalid \\u{…} escape")
            }
            self.index += 1
            return scalar
        }
        let first = try self.readHex(count: 4)
        if (0xD800...0xDBFF).contains(first), self.index + 1 < self.scalars.count, self.scalars[self.index] == "\\",
            self.scalars[self.index + 1] == "u"
        {
            let save = self.index
            self.index += 2
            if let second = try? self.readHex(count: 4), (0xDC00...0xDFFF).contains(second),
                let scalar = Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
            {
                return scalar
            }
            self.index = save
        }
        guard let scalar = Unicode.Scalar(first) else { throw self.error("lone surrogate in \\u escape") }
        return scalar
    }

    private mutating func readHex(count: Int) throws(PatternError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<count {
            guard let next = self.peek, let digit = Self.hexValue(next) else { throw self.error("invalid hex escape") }
            value = value << 4 | digit
            self.index += 1
        }
        return value
    }

    private static func hexValue(_ scalar: Unicode.Scalar) -> UInt32? {
        switch scalar {
        case "0"..."9": scalar.value - 0x30
        case "a"..."f": scalar.value - 0x61 + 10
        case "A"..."F": scalar.value - 0x41 + 10
        default: nil
        }
    }

    // MARK: Bracket classes

    private enum ClassAtom {
        case scalar(Unicode.Scalar)
        case set(PatternClass)
    }

    private mutating func parseClass() throws(PatternError) -> PatternClass {
        var set = PatternClass()
        let negated = self.peek == "^"
        if negated { self.index += 1 }
        while true {
            guard let next = self.peek else { throw self.error("unterminated character class") }
            if next == "]" {
                self.index += 1
                break
            }
            let first = try self.parseClassAtom()
            if self.peek == "-", self.index + 1 < self.scalars.count, self.scalars[self.index + 1] != "]" {
                self.index += 1
                let second = try self.parseClassAtom()
                if case .scalar(let low) = first, case .scalar(let high) = second {
                    guard low <= high else { throw self.error("character range out of order") }
                    set.insert(low.value...high.value)
                } else {
                    // Annex B: a range with a class escape at either end is the two sets and a literal '-'.
                    Self.add(first, to: &set)
                    set.insert(0x2D...0x2D)
                    Self.add(second, to: &set)
                }
            } else {
                Self.add(first, to: &set)
            }
        }
        if negated { set.negate() }
        return set
    }

    private static func add(_ atom: ClassAtom, to set: inout PatternClass) {
        switch atom {
        case .scalar(let scalar): set.insert(scalar.value...scalar.value)
        case .set(let members): set.formUnion(members)
        }
    }

    private mutating func parseClassAtom() throws(PatternError) -> ClassAtom {
        let scalar = try self.next()
        guard scalar == "\\" else { return .scalar(scalar) }
        let escaped = try self.next()
        switch escaped {
        case "b": return .scalar("\u{08}")
        case "-": return .scalar("-")
        case "1"..."9": throw self.error("backreferences and octal escapes are not supported")
        default:
            if let set = try self.classEscape(escaped) { return .set(set) }
            return .scalar(try self.characterEscape(escaped))
        }
    }
}
