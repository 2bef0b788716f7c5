import JunctionCore

/// A cached answer as the fleet's L2 cache (`[shared] cache = true`) keeps it in Redis: one JSON object, versioned,
/// holding everything a hit needs (text, reasoning, finish, usage, the stream's delta boundaries, the JSON of a
/// structured answer). Decoding refuses anything it does not recognise: a bad entry is a miss, never a wrong hit.
extension CachedAnswer {
    static let sharedVersion = 1

    var sharedEncoding: [UInt8] {
        var members: [(String, JSONValue)] = [
            ("v", .int(Self.sharedVersion)), ("text", .string(self.text)),
            ("finish", .string(self.finishReason.rawValue)),
            ("model", .string(self.model)), ("provider", .string(self.target.provider)),
            ("target_model", .string(self.target.model)),
            ("usage", [
                "prompt": .int(self.usage.promptTokens), "completion": .int(self.usage.completionTokens),
                "cached": .int(self.usage.cachedTokens), "cache_write": .int(self.usage.cacheWriteTokens),
                "cache_write_1h": .int(self.usage.cacheWrite1hTokens), "reasoning": .int(self.usage.reasoningTokens),
            ]),
            ("usage_estimated", .bool(self.usageEstimated)),
            ("deltas", .array(self.deltaEnds.map { .int(Int($0)) })),
        ]
        if let reasoning = self.reasoning { members.append(("reasoning", .string(reasoning))) }
        if let namespace = self.namespace { members.append(("namespace", .string(namespace))) }
        if let cost = self.costMicroUSD { members.append(("cost_micro_usd", .int(cost))) }
        if let json = self.json { members.append(("json", json)) }
        return JSONValue.object(JSONObject(members)).serialized()
    }

    init?(sharedEncoding bytes: [UInt8]) {
        guard let value = try? JSONValue.parse(bytes, maxDepth: 80), value["v"]?.intValue == Self.sharedVersion,
            let text = value["text"]?.stringValue,
            let finish = value["finish"]?.stringValue.flatMap(FinishReason.init(rawValue:)),
            let model = value["model"]?.stringValue, let provider = value["provider"]?.stringValue,
            let targetModel = value["target_model"]?.stringValue, let usage = value["usage"]?.objectValue,
            let deltas = value["deltas"]?.arrayValue
        else { return nil }
        let count = { (name: String) in JSONValue.object(usage)[name]?.intValue ?? 0 }
        let ends = deltas.compactMap { $0.intValue.map(Int32.init(clamping:)) }
        guard ends.count == deltas.count else { return nil }
        self.init(
            text: text, reasoning: value["reasoning"]?.stringValue, finishReason: finish, model: model,
            usage: Usage(
                promptTokens: count("prompt"), completionTokens: count("completion"), cachedTokens: count("cached"),
                cacheWriteTokens: count("cache_write"), cacheWrite1hTokens: count("cache_write_1h"),
                reasoningTokens: count("reasoning")
            ),
            usageEstimated: value["usage_estimated"]?.boolValue ?? false, deltaEnds: ends,
            target: TargetRef(provider: provider, model: targetModel), namespace: value["namespace"]?.stringValue,
            costMicroUSD: value["cost_micro_usd"]?.intValue, json: value["json"]
        )
    }
}
