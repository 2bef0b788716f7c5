extension SchemaEvaluator {
    /// `$ref`, `allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else`: subschemas for the same value.
    mutating func checkApplicators(_ applicators: SchemaNode.Applicators, _ value: JSONValue, collect: Bool) -> Bool {
        var valid = true
        if let reference = applicators.reference, !self.evaluateReference(reference, value, collect: collect) {
            valid = false
            guard self.goesOn(collect: collect) else { return false }
        }
        for node in applicators.allOf where !self.evaluate(node, value, collect: collect, via: "allOf") {
            valid = false
            guard self.goesOn(collect: collect) else { return false }
        }
        if let branches = applicators.anyOf, !self.matchesAny(branches, value) {
            guard self.abandoned == nil else { return false }
            valid = false
            let message = "expected a value matching at least one of the \(branches.count) anyOf schemas"
            guard self.fail("anyOf", message, collect: collect) else { return false }
        }
        if let branches = applicators.oneOf {
            let matching = self.matching(branches, value, atMost: 2)
            guard self.abandoned == nil else { return false }
            if matching.count != 1 {
                valid = false
                let message =
                    matching.isEmpty
                    ? "expected a value matching exactly one of the \(branches.count) oneOf schemas, it matches none"
                    : "expected a value matching exactly one oneOf schema, it matches schemas "
                        + "\(matching[0]) and \(matching[1])"
                guard self.fail("oneOf", message, collect: collect) else { return false }
            }
        }
        if let node = applicators.not {
            let matches = self.evaluate(node, value, collect: false, via: "not")
            guard self.abandoned == nil else { return false }
            if matches {
                valid = false
                guard self.fail("not", "expected a value not matching the not schema", collect: collect) else {
                    return false
                }
            }
        }
        if let condition = applicators.condition {
            let holds = self.evaluate(condition, value, collect: false, via: "if")
            guard self.abandoned == nil else { return false }
            let (branch, keyword) = holds ? (applicators.then, "then") : (applicators.otherwise, "else")
            if let branch, !self.evaluate(branch, value, collect: collect, via: keyword) {
                valid = false
            }
        }
        return valid
    }

    private mutating func matchesAny(_ branches: [Int], _ value: JSONValue) -> Bool {
        for branch in branches where self.evaluate(branch, value, collect: false, via: "anyOf") {
            return true
        }
        return false
    }

    /// The indexes of the first `limit` branches that `value` matches.
    private mutating func matching(_ branches: [Int], _ value: JSONValue, atMost limit: Int) -> [Int] {
        var matching: [Int] = []
        for (index, branch) in branches.enumerated() where self.evaluate(branch, value, collect: false, via: "oneOf") {
            matching.append(index)
            if matching.count == limit { break }
        }
        return matching
    }
}
