/// `LineFramer` over a plain byte array, as `RPCClient` reads.
extension LineFramer {
    /// One line taken out of an array.
    public enum Line: Equatable, Sendable {
        /// The line's bytes, without its terminator.
        case complete([UInt8])
        /// A line over `maxLineBytes`, already dropped; `length` was its size in bytes.
        case oversized(length: Int)
    }

    /// Takes the next line out of `pending`, or returns nil when `pending` holds no complete line yet (bytes of
    /// an oversized line may still have been dropped from it).
    public mutating func nextLine(from pending: inout [UInt8]) throws(Failure) -> Line? {
        let cut = pending.withUnsafeBytes { bytes in Result { () throws(Failure) in try self.cut(bytes) } }
        return Self.take(try cut.get(), from: &pending)
    }

    /// At end of input: the last line even without its newline, or nil when nothing is left.
    public mutating func lastLine(from pending: inout [UInt8]) -> Line? {
        guard let cut = pending.withUnsafeBytes({ self.cutAtEnd($0) }) else { return nil }
        return Self.take(cut, from: &pending)
    }

    private static func take(_ cut: Cut, from pending: inout [UInt8]) -> Line? {
        switch cut {
        case .line(let length, let consumed):
            let line = Array(pending[..<length])
            pending.removeFirst(consumed)
            return .complete(line)
        case .oversized(let length, let consumed):
            pending.removeFirst(consumed)
            return .oversized(length: length)
        case .incomplete(let consumed):
            pending.removeFirst(consumed)
            return nil
        }
    }
}
