/// The bytes of one fuzz input, with helpers that carve parameters out of them deterministically, so that one
/// input always replays the same way.
public struct FuzzInput {
    public let bytes: [UInt8]

    /// Copies what libFuzzer hands over (it owns the buffer only for the duration of the call).
    public init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        self.bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    }

    /// The first byte as a parameter, and the rest as the payload; nil for an empty input.
    public var selectorAndPayload: (selector: UInt8, payload: [UInt8])? {
        guard let first = self.bytes.first else { return nil }
        return (first, Array(self.bytes.dropFirst()))
    }
}

/// Splits `bytes` into consecutive chunks whose sizes come from `seed` (1...16 bytes each, cycling through the
/// seed): the same data arriving in different reads, for parsers that claim to handle any read boundary.
public func chunked(_ bytes: [UInt8], seed: UInt8) -> [[UInt8]] {
    var chunks: [[UInt8]] = []
    var start = 0
    var state = UInt32(seed) &* 2_654_435_761 &+ 1
    while start < bytes.count {
        // A small linear congruential generator: cheap, deterministic, and covers 1-byte reads often.
        state = state &* 1_103_515_245 &+ 12_345
        let size = Int((state >> 16) % 16) + 1
        let end = min(start + size, bytes.count)
        chunks.append(Array(bytes[start..<end]))
        start = end
    }
    return chunks
}
