extension SchemaEvaluator {
    /// `minItems`, `maxItems`, `uniqueItems`, `contains`: the checks on the array as a whole.
    mutating func checkArray(_ rules: SchemaNode.ArrayRules, _ elements: [JSONValue], collect: Bool) -> Bool {
        var valid = true
        if let minimum = rules.minItems, elements.count < minimum {
            valid = false
            let message = "expected at least \(minimum) \(Self.items(minimum)), got \(elements.count)"
            guard self.fail("minItems", message, collect: collect) else { return false }
        }
        if let maximum = rules.maxItems, elements.count > maximum {
            valid = false
            let message = "expected at most \(maximum) \(Self.items(maximum)), got \(elements.count)"
            guard self.fail("maxItems", message, collect: collect) else { return false }
        }
        if rules.uniqueItems, let (first, second) = Self.firstDuplicate(elements) {
            valid = false
            let message = "expected unique items, items \(first) and \(second) are equal"
            guard self.fail("uniqueItems", message, collect: collect) else { return false }
        }
        if let contains = rules.contains, !self.checkContains(contains, rules, elements, collect: collect) {
            valid = false
        }
        return valid
    }

    /// `prefixItems` and `items`: each element against its subschema, in order.
    mutating func checkElements(_ rules: SchemaNode.ArrayRules, _ elements: [JSONValue], collect: Bool) -> Bool {
        var valid = true
        for (index, element) in elements.enumerated() {
            let inPrefix = index < rules.prefixItems.count
            guard let node = inPrefix ? rules.prefixItems[index] : rules.items else { break }
            if !inPrefix, self.rejectsEverything(node) {
                // `items: false` after a tuple: one violation for the array, not one per extra element.
                let allowed = rules.prefixItems.count
                let message = "expected at most \(allowed) \(Self.items(allowed)), got \(elements.count)"
                _ = self.fail("items", message, collect: collect)
                return false
            }
            let keyword = inPrefix ? "prefixItems" : "items"
            let matches = self.descend(into: .index(index), position: index) {
                $0.evaluate(node, element, collect: collect, via: keyword)
            }
            if !matches {
                valid = false
                guard self.goesOn(collect: collect) else { return false }
            }
        }
        return valid
    }

    private mutating func checkContains(
        _ contains: Int,
        _ rules: SchemaNode.ArrayRules,
        _ elements: [JSONValue],
        collect: Bool
    ) -> Bool {
        let minimum = rules.minContains ?? 1
        var matches = 0
        for (index, element) in elements.enumerated() {
            // Without maxContains, counting past minContains changes nothing.
            if rules.maxContains == nil, matches >= minimum { break }
            let holds = self.descend(into: .index(index), position: index) {
                $0.evaluate(contains, element, collect: false, via: "contains")
            }
            guard self.abandoned == nil else { return false }
            if holds { matches += 1 }
        }
        var valid = true
        if matches < minimum {
            valid = false
            let message = "expected at least \(minimum) \(Self.items(minimum)) matching contains, got \(matches)"
            guard self.fail(rules.minContains == nil ? "contains" : "minContains", message, collect: collect) else {
                return false
            }
        }
        if let maximum = rules.maxContains, matches > maximum {
            valid = false
            let message = "expected at most \(maximum) \(Self.items(maximum)) matching contains, got \(matches)"
            guard self.fail("maxContains", message, collect: collect) else { return false }
        }
        return valid
    }

    /// The first pair of equal elements (by canonical text: 1 and 1.0 are equal, key order does not matter), in a
    /// single pass with a hash table: linear in the array's total size.
    private static func firstDuplicate(_ elements: [JSONValue]) -> (Int, Int)? {
        guard elements.count > 1 else { return nil }
        var seen: [[UInt8]: Int] = [:]
        seen.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            if let earlier = seen.updateValue(index, forKey: element.canonicalBytes) { return (earlier, index) }
        }
        return nil
    }

    private static func items(_ count: Int) -> String {
        count == 1 ? "item" : "items"
    }
}
