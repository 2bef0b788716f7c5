extension SchemaRewrite {
    /// Undoes `openAIStrict`'s nullable rewrite on an answer: drops each object member whose value is `null` where
    /// the caller's `original` schema has that property optional and not nullable (the model wrote null for "left
    /// out"). Everything else is kept as it is, so the result is what the original schema is then checked against.
    ///
    /// Safe on any answer: such a null is invalid for the original schema anyway, and leaving the member out is
    /// what the caller's schema allows. The answer is walked along `properties`, `items`, local `$ref`s and, for
    /// `anyOf`, the first branch whose `properties` name every member of the object.
    public static func removingStrictNulls(from answer: JSONValue, original: JSONValue) -> JSONValue {
        Self.removingStrictNulls(answer, schema: original, root: original, references: 32)
    }

    private static func removingStrictNulls(
        _ value: JSONValue, schema: JSONValue, root: JSONValue, references: Int
    ) -> JSONValue {
        guard case .object(let node) = schema else { return value }
        // A reference without sibling structure stands for its target; a chain of them is followed a bounded
        // number of times, so that `{"$ref": "#/$defs/a"}` with `a` referring to itself cannot loop.
        if let reference = node["$ref"]?.stringValue, node["properties"] == nil, node["items"] == nil {
            guard references > 0, let target = Self.resolve(reference, in: root) else { return value }
            return Self.removingStrictNulls(value, schema: target, root: root, references: references - 1)
        }
        switch value {
        case .object(let members):
            if node["properties"] == nil, case .array(let branches)? = node["anyOf"],
                let branch = Self.branch(declaring: members, in: branches, root: root)
            {
                return Self.removingStrictNulls(value, schema: branch, root: root, references: references)
            }
            guard case .object(let properties)? = node["properties"] else { return value }
            let required = Set(node["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            var kept = JSONObject()
            for member in members.members {
                guard let property = properties[member.key] else {
                    kept.appendUnchecked(key: member.key, value: member.value)
                    continue
                }
                if member.value == .null, !required.contains(member.key), !Self.allowsNull(property, root: root) {
                    continue
                }
                let inner = Self.removingStrictNulls(member.value, schema: property, root: root, references: 32)
                kept.appendUnchecked(key: member.key, value: inner)
            }
            return .object(kept)
        case .array(let elements):
            guard let items = node["items"], case .object = items else { return value }
            return .array(elements.map { Self.removingStrictNulls($0, schema: items, root: root, references: 32) })
        default:
            return value
        }
    }

    /// The first `anyOf` branch (references followed) whose `properties` declare every member of `members`.
    private static func branch(declaring members: JSONObject, in branches: [JSONValue], root: JSONValue) -> JSONValue? {
        for branch in branches {
            var resolved = branch
            for _ in 0..<32 {
                guard let reference = resolved["$ref"]?.stringValue, resolved["properties"] == nil,
                    let target = Self.resolve(reference, in: root)
                else { break }
                resolved = target
            }
            guard case .object(let properties)? = resolved["properties"] else { continue }
            if members.keys.allSatisfy({ properties[$0] != nil }) { return resolved }
        }
        return nil
    }
}
