/// A complete answer as the response cache keeps it: everything a hit needs to answer exactly as the provider did —
/// the text, the reasoning, the finish reason, the usage and, for a streamed answer, where each delta ended.
public struct CachedAnswer: Sendable, Equatable {
    public var text: String
    public var reasoning: String?
    public var finishReason: FinishReason
    /// The model as the provider reported it (may be empty: then the target's model).
    public var model: String
    public var usage: Usage
    /// The provider reported no usage: `usage` is the estimate the original answer carried.
    public var usageEstimated: Bool
    /// UTF-8 offsets in `text` where each streamed delta ended, in order; empty: the answer was not streamed (a
    /// streamed hit then replays the text as one delta).
    public var deltaEnds: [Int32]
    /// The target that answered (the entry's key names it too): `admin.cache.clear {model}` matches on it.
    public var target: TargetRef
    /// The caller's namespace (`cache.namespace`), for `admin.cache.clear {namespace}`.
    public var namespace: String?
    /// What the answering attempt cost when it was paid; nil: unknown. Each hit saves this much.
    public var costMicroUSD: MicroUSD?
    /// The validated JSON of a structured-output answer (what a hit returns as `json`).
    public var json: JSONValue?

    public init(
        text: String,
        reasoning: String? = nil,
        finishReason: FinishReason,
        model: String,
        usage: Usage,
        usageEstimated: Bool = false,
        deltaEnds: [Int32] = [],
        target: TargetRef,
        namespace: String? = nil,
        costMicroUSD: MicroUSD? = nil,
        json: JSONValue? = nil
    ) {
        self.json = json
        self.text = text
        self.reasoning = reasoning
        self.finishReason = finishReason
        self.model = model
        self.usage = usage
        self.usageEstimated = usageEstimated
        self.deltaEnds = deltaEnds
        self.target = target
        self.namespace = namespace
        self.costMicroUSD = costMicroUSD
    }

    /// What an entry costs the cache's byte budget: its text, the fixed overhead of an entry (the key, the node,
    /// the dictionary slot, string and array headers, allocator rounding) and the delta offsets.
    public var bytes: Int {
        Self.entryOverhead + self.text.utf8.count + (self.reasoning?.utf8.count ?? 0) + self.model.utf8.count
            + self.target.provider.utf8.count + self.target.model.utf8.count + (self.namespace?.utf8.count ?? 0)
            + 4 * self.deltaEnds.count + (self.json == nil ? 0 : 2 * self.text.utf8.count)
    }

    /// Measured: 60,000 unique answers through a 16 MiB cache grew the daemon's RSS by 1.57 × the bytes counted
    /// with 320 here (BENCHMARKS.md); most of the difference is per entry (allocator rounding, the dictionary's
    /// spare capacity), so it is counted per entry. A parsed JSON value is counted at twice its text.
    public static let entryOverhead = 600

    /// The streamed deltas, at the boundaries the provider sent them (one delta when the answer was not streamed).
    public var deltas: [String] {
        guard !self.deltaEnds.isEmpty else { return self.text.isEmpty ? [] : [self.text] }
        let utf8 = Array(self.text.utf8)
        var deltas: [String] = []
        deltas.reserveCapacity(self.deltaEnds.count)
        var start = 0
        for end in self.deltaEnds {
            let stop = min(Int(end), utf8.count)
            guard stop >= start else { continue }
            deltas.append(String(decoding: utf8[start..<stop], as: UTF8.self))
            start = stop
        }
        if start < utf8.count { deltas.append(String(decoding: utf8[start...], as: UTF8.self)) }
        return deltas
    }
}
