/// A Unicode property in a pattern, `\p{…}` or `\P{…}`: a general category (`L`, `Letter`, `gc=Lu`,
/// `General_Category=Decimal_Number`) or one of the binary properties the standard library knows (`Any`, `ASCII`,
/// `Alphabetic`, `White_Space`, `Uppercase`, `Lowercase`, `Emoji`, `Ideographic`, `Hex_Digit`,
/// `ASCII_Hex_Digit`). Scripts (`Script=Latin`) are not available without ICU and are refused.
struct PatternProperty: Sendable {
    enum Kind: Sendable {
        /// A bit per `Unicode.GeneralCategory` (see `categoryBit`).
        case categories(UInt32)
        case any
        case ascii
        case alphabetic
        case whiteSpace
        case uppercase
        case lowercase
        case emoji
        case ideographic
        case hexDigit
        case asciiHexDigit
    }

    var kind: Kind
    var isNegated: Bool

    /// The property `name` (the text between the braces) names, or nil.
    init?(name: String, negated: Bool) {
        if let equals = name.firstIndex(of: "=") {
            let key = name[..<equals]
            guard key == "gc" || key == "General_Category",
                let mask = Self.categoryMasks[String(name[name.index(after: equals)...])]
            else { return nil }
            self.init(kind: .categories(mask), isNegated: negated)
        } else if let mask = Self.categoryMasks[name] {
            self.init(kind: .categories(mask), isNegated: negated)
        } else if let kind = Self.binaryProperties[name] {
            self.init(kind: kind, isNegated: negated)
        } else {
            return nil
        }
    }

    private init(kind: Kind, isNegated: Bool) {
        self.kind = kind
        self.isNegated = isNegated
    }

    func negated() -> PatternProperty {
        PatternProperty(kind: self.kind, isNegated: !self.isNegated)
    }

    func matches(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        let result: Bool =
            switch self.kind {
            case .categories(let mask): mask & (1 << Self.categoryBit(properties.generalCategory)) != 0
            case .any: true
            case .ascii: scalar.isASCII
            case .alphabetic: properties.isAlphabetic
            case .whiteSpace: properties.isWhitespace
            case .uppercase: properties.isUppercase
            case .lowercase: properties.isLowercase
            case .emoji: properties.isEmoji
            case .ideographic: properties.isIdeographic
            case .hexDigit: properties.isHexDigit
            case .asciiHexDigit: properties.isASCIIHexDigit
            }
        return result != self.isNegated
    }

    private static let binaryProperties: [String: Kind] = [
        "Any": .any, "ASCII": .ascii, "Alphabetic": .alphabetic, "Alpha": .alphabetic, "White_Space": .whiteSpace,
        "space": .whiteSpace, "Uppercase": .uppercase, "Upper": .uppercase, "Lowercase": .lowercase,
        "Lower": .lowercase, "Emoji": .emoji, "Ideographic": .ideographic, "Ideo": .ideographic,
        "Hex_Digit": .hexDigit, "Hex": .hexDigit, "ASCII_Hex_Digit": .asciiHexDigit, "AHex": .asciiHexDigit,
    ]

    /// Each general category's short and long names (and the grouping names L, LC, M, N, P, S, Z, C) → its bits.
    private static let categoryMasks: [String: UInt32] = {
        let categories: [(short: String, long: String, members: [Unicode.GeneralCategory])] = [
            ("Lu", "Uppercase_Letter", [.uppercaseLetter]), ("Ll", "Lowercase_Letter", [.lowercaseLetter]),
            ("Lt", "Titlecase_Letter", [.titlecaseLetter]), ("Lm", "Modifier_Letter", [.modifierLetter]),
            ("Lo", "Other_Letter", [.otherLetter]),
            ("LC", "Cased_Letter", [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter]),
            ("L", "Letter", [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter]),
            ("Mn", "Nonspacing_Mark", [.nonspacingMark]), ("Mc", "Spacing_Mark", [.spacingMark]),
            ("Me", "Enclosing_Mark", [.enclosingMark]), ("M", "Mark", [.nonspacingMark, .spacingMark, .enclosingMark]),
            ("Nd", "Decimal_Number", [.decimalNumber]), ("Nl", "Letter_Number", [.letterNumber]),
            ("No", "Other_Number", [.otherNumber]), ("N", "Number", [.decimalNumber, .letterNumber, .otherNumber]),
            ("Pc", "Connector_Punctuation", [.connectorPunctuation]), ("Pd", "Dash_Punctuation", [.dashPunctuation]),
            ("Ps", "Open_Punctuation", [.openPunctuation]), ("Pe", "Close_Punctuation", [.closePunctuation]),
            ("Pi", "Initial_Punctuation", [.initialPunctuation]), ("Pf", "Final_Punctuation", [.finalPunctuation]),
            ("Po", "Other_Punctuation", [.otherPunctuation]),
            (
                "P", "Punctuation",
                [
                    .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                    .initialPunctuation, .finalPunctuation, .otherPunctuation,
                ]
            ),
            ("Sm", "Math_Symbol", [.mathSymbol]), ("Sc", "Currency_Symbol", [.currencySymbol]),
            ("Sk", "Modifier_Symbol", [.modifierSymbol]), ("So", "Other_Symbol", [.otherSymbol]),
            ("S", "Symbol", [.mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol]),
            ("Zs", "Space_Separator", [.spaceSeparator]), ("Zl", "Line_Separator", [.lineSeparator]),
            ("Zp", "Paragraph_Separator", [.paragraphSeparator]),
            ("Z", "Separator", [.spaceSeparator, .lineSeparator, .paragraphSeparator]),
            ("Cc", "Control", [.control]), ("Cf", "Format", [.format]), ("Cs", "Surrogate", [.surrogate]),
            ("Co", "Private_Use", [.privateUse]), ("Cn", "Unassigned", [.unassigned]),
            ("C", "Other", [.control, .format, .surrogate, .privateUse, .unassigned]),
        ]
        var masks: [String: UInt32] = [:]
        for category in categories {
            let mask = category.members.reduce(UInt32(0)) { $0 | 1 << Self.categoryBit($1) }
            masks[category.short] = mask
            masks[category.long] = mask
        }
        return masks
    }()

    private static func categoryBit(_ category: Unicode.GeneralCategory) -> UInt32 {
        switch category {
        case .uppercaseLetter: 0
        case .lowercaseLetter: 1
        case .titlecaseLetter: 2
        case .modifierLetter: 3
        case .otherLetter: 4
        case .nonspacingMark: 5
        case .spacingMark: 6
        case .enclosingMark: 7
        case .decimalNumber: 8
        case .letterNumber: 9
        case .otherNumber: 10
        case .connectorPunctuation: 11
        case .dashPunctuation: 12
        case .openPunctuation: 13
        case .closePunctuation: 14
        case .initialPunctuation: 15
        case .finalPunctuation: 16
        case .otherPunctuation: 17
        case .mathSymbol: 18
        case .currencySymbol: 19
        case .modifierSymbol: 20
        case .otherSymbol: 21
        case .spaceSeparator: 22
        case .lineSeparator: 23
        case .paragraphSeparator: 24
        case .control: 25
        case .format: 26
        case .surrogate: 27
        case .privateUse: 28
        case .unassigned: 29
        @unknown default: 29
        }
    }
}
