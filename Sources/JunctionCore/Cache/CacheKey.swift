/// The SHA-256 of a request's canonical encoding: what the response cache and the in-flight coalescer key on.
///
/// The encoding is a length-prefixed byte string of every field that can change the answer — the key-schema version,
/// the tenant partition, the resolved target (`provider:model`), the system prompt, the messages (role and content),
/// `max_tokens`, `temperature`, `top_p`, `stop`, `seed`, the thinking budget, the response format with its
/// schema in canonical JSON (`JSONValue.writeCanonical`: keys sorted, one number spelling), and `fit` with the
/// messages' `keep` marks when it is not fail_over. Nothing else: `metadata`, the `client` label, `timeout_ms` and
/// the stream flag are not part of it. Each field is
/// prefixed by a tag and its length, so that no two different requests encode to the same bytes.
public struct CacheKey: Sendable, Hashable, CustomStringConvertible {
    /// Bumped whenever the encoding changes: old entries then simply never match.
    public static let schemaVersion = 1

    /// The digest as four words (hashing and comparing 32 bytes as words is cheaper than as an array).
    public let words: (UInt64, UInt64, UInt64, UInt64)

    public init(digest: [UInt8]) {
        precondition(digest.count == 32, "a SHA-256 digest has 32 bytes")
        func word(_ index: Int) -> UInt64 {
            var value: UInt64 = 0
            for byte in digest[(index * 8)..<(index * 8 + 8)] { value = value << 8 | UInt64(byte) }
            return value
        }
        self.words = (word(0), word(1), word(2), word(3))
    }

    /// The key of `request` sent to `target` (`provider:model`) within `partition`. A `fit` other than fail_over
    /// is part of it, with the messages' `keep` marks (they decide what trimming drops).
    public init(_ request: ChatRequest, target: String, partition: String, fit: FitMode = .failOver) {
        var encoder = CacheKeyEncoder()
        encoder.field("v", "\(Self.schemaVersion)")
        encoder.field("p", partition)
        encoder.field("t", target)
        encoder.field("s", request.system)
        if fit != .failOver { encoder.field("F", fit.rawValue) }
        encoder.count("m", request.messages.count)
        for message in request.messages {
            encoder.field("r", message.role.rawValue)
            encoder.field("c", message.content)
            if fit != .failOver, message.keep { encoder.count("K", 1) }
        }
        encoder.field("x", request.maxTokens.map { String($0) })
        encoder.field("T", request.temperature.map(Self.number))
        encoder.field("P", request.topP.map(Self.number))
        encoder.count("S", request.stop.count)
        for stop in request.stop { encoder.field("o", stop) }
        encoder.field("e", request.seed.map { String($0) })
        let adaptive = request.adaptiveThinking.map { "adaptive:" + ($0.effort ?? "") }
        encoder.field("k", request.thinkingBudget.map { String($0) } ?? adaptive)
        switch request.responseFormat {
        case .text: encoder.field("f", "text")
        case .jsonObject: encoder.field("f", "json_object")
        case .jsonSchema(let format):
            encoder.field("f", "json_schema")
            encoder.field("n", format.name)
            encoder.field("z", format.strict.map { $0 ? "true" : "false" })
            var schema: [UInt8] = []
            format.schema.writeCanonical(to: &schema)
            encoder.field("j", schema)
        }
        self.init(digest: encoder.digest)
    }

    /// One spelling per value: 0.0, -0.0 and 0 all become "0"; other values their shortest round-tripping text.
    private static func number(_ value: Double) -> String {
        value == 0 ? "0" : (value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value))
    }

    public static func == (left: CacheKey, right: CacheKey) -> Bool {
        left.words == right.words
    }

    public func hash(into hasher: inout Hasher) {
        // The digest is uniformly random already: one word is as good a hash as all four.
        hasher.combine(self.words.0)
    }

    /// The digest in hexadecimal (64 characters).
    public var description: String {
        [self.words.0, self.words.1, self.words.2, self.words.3].map { word in
            let text = String(word, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }.joined()
    }
}

/// Writes tagged, length-prefixed fields into one buffer, hashed once at the end (one pass over contiguous bytes
/// costs less than many small updates).
private struct CacheKeyEncoder {
    private var bytes: [UInt8] = []

    init() {
        self.bytes.reserveCapacity(512)
    }

    mutating func field(_ tag: Character, _ value: String?) {
        guard let value else {
            self.header(tag, length: -1)
            return
        }
        self.header(tag, length: value.utf8.count)
        self.bytes.append(contentsOf: value.utf8)
    }

    mutating func field(_ tag: Character, _ bytes: [UInt8]) {
        self.header(tag, length: bytes.count)
        self.bytes.append(contentsOf: bytes)
    }

    mutating func count(_ tag: Character, _ count: Int) {
        self.header(tag, length: count)
    }

    private mutating func header(_ tag: Character, length: Int) {
        let value = UInt64(bitPattern: Int64(length))
        self.bytes.append(tag.asciiValue ?? 0x3F)
        for index in 1...8 { self.bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(64 - 8 * index))) }
    }

    var digest: [UInt8] {
        var hash = SHA256()
        hash.update(self.bytes)
        return hash.finalize()
    }
}
