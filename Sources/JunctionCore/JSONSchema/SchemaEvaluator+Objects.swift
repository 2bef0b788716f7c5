extension SchemaEvaluator {
    /// `required`, `minProperties`, `maxProperties`, `dependentRequired`: the checks on the object as a whole.
    mutating func checkObject(_ rules: SchemaNode.ObjectRules, _ object: JSONObject, collect: Bool) -> Bool {
        var valid = true
        // JSONObject looks keys up by scanning; a large object with many required keys gets a hash set instead.
        let keys: Set<String>? = object.count > 16 ? Set(object.keys) : nil
        func has(_ key: String) -> Bool { keys?.contains(key) ?? (object[key] != nil) }
        for name in rules.required where !has(name) {
            valid = false
            let message = "missing required property \(JSONValue.string(name).excerpt())"
            guard self.fail("required", message, collect: collect) else { return false }
        }
        if let minimum = rules.minProperties, object.count < minimum {
            valid = false
            let message = "expected at least \(minimum) \(Self.properties(minimum)), got \(object.count)"
            guard self.fail("minProperties", message, collect: collect) else { return false }
        }
        if let maximum = rules.maxProperties, object.count > maximum {
            valid = false
            let message = "expected at most \(maximum) \(Self.properties(maximum)), got \(object.count)"
            guard self.fail("maxProperties", message, collect: collect) else { return false }
        }
        for (property, needs) in rules.dependentRequired where has(property) {
            for name in needs where !has(name) {
                valid = false
                let message =
                    "missing property \(JSONValue.string(name).excerpt()), required when "
                    + "\(JSONValue.string(property).excerpt()) is present"
                guard self.fail("dependentRequired", message, collect: collect) else { return false }
            }
        }
        return valid
    }

    /// `properties`, `patternProperties`, `additionalProperties`, `propertyNames`: each member, in order.
    mutating func checkMembers(_ rules: SchemaNode.ObjectRules, _ object: JSONObject, collect: Bool) -> Bool {
        var valid = true
        for (position, member) in object.members.enumerated() {
            let matches = self.descend(into: .key(member.key), position: position) {
                $0.checkMember(rules, member, collect: collect)
            }
            if !matches {
                valid = false
                guard self.goesOn(collect: collect) else { return false }
            }
        }
        return valid
    }

    private mutating func checkMember(
        _ rules: SchemaNode.ObjectRules,
        _ member: JSONObject.Member,
        collect: Bool
    ) -> Bool {
        var valid = true
        let name = JSONValue.string(member.key)
        if let names = rules.propertyNames {
            let allowed = self.atMemberName { $0.evaluate(names, name, collect: false, via: "propertyNames") }
            guard self.abandoned == nil else { return false }
            if !allowed {
                valid = false
                let message = "property name \(name.excerpt()) does not match propertyNames"
                guard self.fail("propertyNames", message, collect: collect) else { return false }
            }
        }
        var declared = false
        if let node = rules.properties[member.key] {
            declared = true
            if !self.evaluate(node, member.value, collect: collect, via: "properties") {
                valid = false
                guard self.goesOn(collect: collect) else { return false }
            }
        }
        for (pattern, node) in rules.patternProperties
        where self.matches(pattern, member.key, keyword: "patternProperties") {
            declared = true
            if !self.evaluate(node, member.value, collect: collect, via: "patternProperties") {
                valid = false
                guard self.goesOn(collect: collect) else { return false }
            }
        }
        guard self.abandoned == nil else { return false }
        if !declared, let node = rules.additionalProperties {
            if self.rejectsEverything(node) {
                _ = self.fail("additionalProperties", "property \(name.excerpt()) is not allowed", collect: collect)
                return false
            }
            if !self.evaluate(node, member.value, collect: collect, via: "additionalProperties") { valid = false }
        }
        return valid
    }

    private static func properties(_ count: Int) -> String {
        count == 1 ? "property" : "properties"
    }
}
