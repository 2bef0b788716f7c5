/// Splits a byte stream into newline-terminated lines, the framing of Junction's RPC protocol.
///
/// A pure state machine that owns no bytes: the caller keeps what has arrived (a NIO `ByteBuffer` in the daemon,
/// an array in `RPCClient`), shows it to `cut(_:)` and removes from its front what the returned `Cut` says. So
/// the same rules frame both ends of the socket and can be tested byte by byte without a channel. A line longer
/// than `maxLineBytes` is not buffered: its bytes are dropped as they arrive and, once its newline is seen,
/// reported as `.oversized` so that the connection can answer it and carry on. A peer that keeps sending without
/// ever ending the line is streaming garbage: after `maxDiscardBytes` the framer gives up.
public struct LineFramer: Sendable {
    /// What to take off the front of the pending bytes.
    public enum Cut: Equatable, Sendable {
        /// The first `length` bytes are one line (without its newline, and without a CR before it, for CRLF
        /// peers); remove `consumed` bytes, the line and its terminator.
        case line(length: Int, consumed: Int)
        /// A line over the limit has ended; remove `consumed` bytes. `length` is the line's size in bytes.
        case oversized(length: Int, consumed: Int)
        /// No complete line yet: remove `consumed` bytes (those of an oversized line, dropped as they arrive;
        /// 0 otherwise) and cut again once more bytes have arrived.
        case incomplete(consumed: Int)
    }

    public enum Failure: Error, Equatable, Sendable {
        /// More than `maxDiscardBytes` arrived without a newline after a line went over the limit.
        case endlessLine(discarded: Int)
    }

    private enum State: Sendable {
        /// Reading a line; `scanned` bytes at the front of the pending bytes are known to contain no newline.
        case reading(scanned: Int)
        /// Dropping an oversized line; `discarded` bytes of it are gone, the last of them a CR when `endsInCR`.
        case discarding(discarded: Int, endsInCR: Bool)
    }

    /// The longest line handed out; longer ones are reported as `.oversized`.
    public let maxLineBytes: Int
    /// How much of one oversized line is dropped before the framer gives up with `.endlessLine`.
    public let maxDiscardBytes: Int
    private var state = State.reading(scanned: 0)

    /// `maxDiscardBytes` defaults to four times `maxLineBytes`, and at least 64 MiB.
    public init(maxLineBytes: Int, maxDiscardBytes: Int? = nil) {
        precondition(maxLineBytes > 0)
        self.maxLineBytes = maxLineBytes
        self.maxDiscardBytes = maxDiscardBytes ?? max(maxLineBytes * 4, 64 * 1024 * 1024)
    }

    /// Looks at the pending bytes (all that arrived and was not yet removed) and says what to remove next.
    public mutating func cut(_ pending: UnsafeRawBufferPointer) throws(Failure) -> Cut {
        let newlineByte = UInt8(ascii: "\n")
        switch self.state {
        case .reading(let scanned):
            // The bytes already scanned are searched only once, however many reads a long line takes.
            guard let newline = pending[min(scanned, pending.count)...].firstIndex(of: newlineByte) else {
                // A CR at the end may be the first half of a CRLF whose LF is still to come: not line content.
                let pendingCR = pending.last == UInt8(ascii: "\r") ? 1 : 0
                guard pending.count > self.maxLineBytes + pendingCR else {
                    self.state = .reading(scanned: pending.count)
                    return .incomplete(consumed: 0)
                }
                self.state = .discarding(discarded: pending.count, endsInCR: pendingCR == 1)
                try self.checkDiscardLimit(pending.count)
                return .incomplete(consumed: pending.count)
            }
            self.state = .reading(scanned: 0)
            var length = newline
            if length > 0, pending[newline - 1] == UInt8(ascii: "\r") { length -= 1 }
            return length > self.maxLineBytes
                ? .oversized(length: length, consumed: newline + 1) : .line(length: length, consumed: newline + 1)

        case .discarding(let discarded, let endsInCR):
            guard let newline = pending.firstIndex(of: newlineByte) else {
                let total = discarded + pending.count
                let lastIsCR = pending.isEmpty ? endsInCR : pending.last == UInt8(ascii: "\r")
                self.state = .discarding(discarded: total, endsInCR: lastIsCR)
                try self.checkDiscardLimit(total)
                return .incomplete(consumed: pending.count)
            }
            self.state = .reading(scanned: 0)
            // The CR of a CRLF is the terminator's, not the line's, even when it went with the discarded bytes.
            let carriageReturn = newline > 0 ? pending[newline - 1] == UInt8(ascii: "\r") : endsInCR
            return .oversized(length: discarded + newline - (carriageReturn ? 1 : 0), consumed: newline + 1)
        }
    }

    /// At end of input, after `cut(_:)` found no further newline: a last line that lacks its newline is still a
    /// line (as `printf '...' | socat` sends it). Returns nil when nothing is left.
    public mutating func cutAtEnd(_ pending: UnsafeRawBufferPointer) -> Cut? {
        defer { self.state = .reading(scanned: 0) }
        switch self.state {
        case .discarding(let discarded, let endsInCR):
            // A last line's CR is left out of its length, as for a line that fitted (found by fuzz-rpc): the CR
            // may be among the discarded bytes when nothing arrived after it.
            let carriageReturn = pending.isEmpty ? endsInCR : pending.last == UInt8(ascii: "\r")
            return .oversized(length: discarded + pending.count - (carriageReturn ? 1 : 0), consumed: pending.count)
        case .reading:
            guard !pending.isEmpty else { return nil }
            var length = pending.count
            if pending[length - 1] == UInt8(ascii: "\r") { length -= 1 }
            return length > self.maxLineBytes
                ? .oversized(length: length, consumed: pending.count) : .line(length: length, consumed: pending.count)
        }
    }

    private func checkDiscardLimit(_ discarded: Int) throws(Failure) {
        if discarded > self.maxDiscardBytes { throw .endlessLine(discarded: discarded) }
    }
}
