/// SHA-256 (FIPS 180-4), for the ledger's prompt fingerprints: Core has no Foundation and no crypto library, and
/// a digest of a few kilobytes per request does not justify one.
public struct SHA256: Sendable {
    private var state: [UInt32] = [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]
    private var pending: [UInt8] = []
    private var length: UInt64 = 0

    public init() {
        self.pending.reserveCapacity(64)
    }

    /// Feeds bytes; call `finalize()` once at the end.
    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        // Whole blocks straight from contiguous input (a prompt of a megabyte is hashed without a copy per byte).
        let handled: Bool? = bytes.withContiguousStorageIfAvailable { buffer in
            self.update(buffer)
            return true
        }
        if handled == true { return }
        for byte in bytes {
            self.pending.append(byte)
            self.length &+= 1
            if self.pending.count == 64 {
                self.compress(self.pending)
                self.pending.removeAll(keepingCapacity: true)
            }
        }
    }

    private mutating func update(_ buffer: UnsafeBufferPointer<UInt8>) {
        var offset = 0
        self.length &+= UInt64(buffer.count)
        if !self.pending.isEmpty {
            let take = min(64 - self.pending.count, buffer.count)
            self.pending.append(contentsOf: buffer[0..<take])
            offset = take
            guard self.pending.count == 64 else { return }
            self.compress(self.pending)
            self.pending.removeAll(keepingCapacity: true)
        }
        while buffer.count - offset >= 64 {
            self.compress(UnsafeBufferPointer(rebasing: buffer[offset..<(offset + 64)]))
            offset += 64
        }
        self.pending.append(contentsOf: buffer[offset...])
    }

    /// The 32-byte digest.
    public mutating func finalize() -> [UInt8] {
        let bits = self.length &* 8
        // The padding (0x80, zeros, the length in bits) takes one block, or two when fewer than 9 bytes are free.
        var tail = self.pending
        tail.reserveCapacity(128)
        tail.append(0x80)
        let padded = tail.count <= 56 ? 64 : 128
        tail.append(contentsOf: repeatElement(0, count: padded - 8 - tail.count))
        for shift in stride(from: 56, through: 0, by: -8) {
            tail.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
        }
        tail.withUnsafeBufferPointer { tail in
            for start in stride(from: 0, to: tail.count, by: 64) {
                self.compress(UnsafeBufferPointer(rebasing: tail[start..<(start + 64)]))
            }
        }
        self.pending.removeAll()
        var digest: [UInt8] = []
        digest.reserveCapacity(32)
        for word in self.state {
            digest.append(UInt8(truncatingIfNeeded: word >> 24))
            digest.append(UInt8(truncatingIfNeeded: word >> 16))
            digest.append(UInt8(truncatingIfNeeded: word >> 8))
            digest.append(UInt8(truncatingIfNeeded: word))
        }
        return digest
    }

    /// The digest of `bytes` as 64 lowercase hexadecimal characters.
    public static func hex<Bytes: Sequence>(of bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(bytes)
        let digest = hasher.finalize()
        return String(unsafeUninitializedCapacity: 64) { text in
            for (index, byte) in digest.enumerated() {
                text[2 * index] = Self.hexDigit(byte >> 4)
                text[2 * index + 1] = Self.hexDigit(byte & 0x0f)
            }
            return 64
        }
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 { value < 10 ? 0x30 + value : 0x57 + value }

    private mutating func compress<Block: Collection>(_ block: Block) where Block.Element == UInt8 {
        // The message schedule lives on the stack, and the loops run over unchecked buffers: a block costs no
        // allocation (the key of every cacheable request and every prompt digest go through here).
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { words in
            var index = block.startIndex
            for word in 0..<16 {
                var value: UInt32 = 0
                for _ in 0..<4 {
                    value = value << 8 | UInt32(block[index])
                    index = block.index(after: index)
                }
                words[word] = value
            }
            for word in 16..<64 {
                let s0 = words[word - 15].rotatedRight(7) ^ words[word - 15].rotatedRight(18) ^ (words[word - 15] >> 3)
                let s1 = words[word - 2].rotatedRight(17) ^ words[word - 2].rotatedRight(19) ^ (words[word - 2] >> 10)
                words[word] = words[word - 16] &+ s0 &+ words[word - 7] &+ s1
            }
            self.state.withUnsafeMutableBufferPointer { state in
                Self.roundConstants.withUnsafeBufferPointer { constants in
                    var a = state[0], b = state[1], c = state[2], d = state[3]
                    var e = state[4], f = state[5], g = state[6], h = state[7]
                    for round in 0..<64 {
                        let s1 = e.rotatedRight(6) ^ e.rotatedRight(11) ^ e.rotatedRight(25)
                        let choice = (e & f) ^ (~e & g)
                        let temp1 = h &+ s1 &+ choice &+ constants[round] &+ words[round]
                        let s0 = a.rotatedRight(2) ^ a.rotatedRight(13) ^ a.rotatedRight(22)
                        let majority = (a & b) ^ (a & c) ^ (b & c)
                        let temp2 = s0 &+ majority
                        h = g
                        g = f
                        f = e
                        e = d &+ temp1
                        d = c
                        c = b
                        b = a
                        a = temp1 &+ temp2
                    }
                    state[0] &+= a
                    state[1] &+= b
                    state[2] &+= c
                    state[3] &+= d
                    state[4] &+= e
                    state[5] &+= f
                    state[6] &+= g
                    state[7] &+= h
                }
            }
        }
    }

    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
}

extension UInt32 {
    fileprivate func rotatedRight(_ count: UInt32) -> UInt32 { self >> count | self << (32 - count) }
}
