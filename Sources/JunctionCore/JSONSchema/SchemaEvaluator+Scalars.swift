extension SchemaEvaluator {
    /// `type`, `const`, `enum`, and the number and string keywords.
    mutating func checkScalar(_ node: SchemaNode, _ value: JSONValue, collect: Bool) -> Bool {
        var valid = true
        if let types = node.types, !types.admits(value) {
            valid = false
            guard self.fail("type", "expected \(types.displayName), got \(value.typeName)", collect: collect) else {
                return false
            }
        }
        // Computed once for both keywords: it walks the whole value.
        let canonical = node.constant != nil || node.enumeration != nil ? value.canonicalBytes : []
        if let constant = node.constant?.value, canonical != constant.canonical {
            valid = false
            guard self.fail("const", "expected \(constant.display), got \(value.excerpt())", collect: collect) else {
                return false
            }
        }
        if let enumeration = node.enumeration?.value, !enumeration.canonical.contains(canonical) {
            valid = false
            let message = "expected one of \(enumeration.display), got \(value.excerpt())"
            guard self.fail("enum", message, collect: collect) else { return false }
        }
        switch value {
        case .number(let literal):
            if let rules = node.numeric, !self.checkNumber(rules.value, literal, collect: collect) { valid = false }
        case .string(let text):
            if let rules = node.string, !self.checkString(rules.value, text, collect: collect) { valid = false }
        default:
            break
        }
        return valid
    }

    private mutating func checkNumber(_ rules: SchemaNode.NumericRules, _ literal: String, collect: Bool) -> Bool {
        let shown = JSONValue.number(literal).excerpt()
        guard let number = DecimalNumber(literal: literal) else {
            // Only a value built in code can hold a `.number` that is not one.
            _ = self.fail("type", "expected number, got the invalid number literal \(shown)", collect: collect)
            return false
        }
        let bounds: [(SchemaNode.Limit?, String, String, (DecimalNumber, DecimalNumber) -> Bool)] = [
            (rules.minimum, "minimum", ">=", { $0 >= $1 }),
            (rules.exclusiveMinimum, "exclusiveMinimum", ">", { $0 > $1 }),
            (rules.maximum, "maximum", "<=", { $0 <= $1 }),
            (rules.exclusiveMaximum, "exclusiveMaximum", "<", { $0 < $1 }),
        ]
        var valid = true
        for (limit, keyword, relation, holds) in bounds {
            guard let limit, !holds(number, limit.value) else { continue }
            valid = false
            let message = "expected a number \(relation) \(limit.literal), got \(shown)"
            guard self.fail(keyword, message, collect: collect) else { return false }
        }
        if let divisor = rules.multipleOf, !number.isMultiple(of: divisor.value) {
            valid = false
            guard self.fail("multipleOf", "expected a multiple of \(divisor.literal), got \(shown)", collect: collect)
            else { return false }
        }
        return valid
    }

    private mutating func checkString(_ rules: SchemaNode.StringRules, _ text: String, collect: Bool) -> Bool {
        var valid = true
        if rules.minLength != nil || rules.maxLength != nil {
            // JSON Schema counts code points: "é" as one (precomposed) or two (e + combining accent).
            let length = text.unicodeScalars.count
            if let minimum = rules.minLength, length < minimum {
                valid = false
                let message = "expected at least \(minimum) \(Self.characters(minimum)), got \(length)"
                guard self.fail("minLength", message, collect: collect) else { return false }
            }
            if let maximum = rules.maxLength, length > maximum {
                valid = false
                let message = "expected at most \(maximum) \(Self.characters(maximum)), got \(length)"
                guard self.fail("maxLength", message, collect: collect) else { return false }
            }
        }
        if let pattern = rules.pattern, !self.matches(pattern, text, keyword: "pattern") {
            valid = false
            guard self.abandoned == nil else { return false }
            let source = JSONValue.string(pattern.source).excerpt(limit: 60)
            let message = "expected a string matching \(source), got \(JSONValue.string(text).excerpt())"
            guard self.fail("pattern", message, collect: collect) else { return false }
        }
        return valid
    }

    private static func characters(_ count: Int) -> String {
        count == 1 ? "character" : "characters"
    }
}
