import NIOCore

/// Splits a byte stream into newline-terminated lines, the framing of Junction's RPC protocol.
///
/// A pure state machine over the caller's buffer, so that it can be tested byte by byte without a channel. A line
/// longer than `maxLineBytes` is not buffered: its bytes are dropped as they arrive and, once its newline is seen,
/// reported as `.oversized` so that the connection can answer it and carry on. A client that keeps sending without
/// ever ending the line is streaming garbage: after `maxDiscardBytes` the framer gives up.
struct LineFramer {
    enum Frame: Equatable {
        /// One line without its terminator (a trailing CR is removed too, for CRLF clients).
        case line(ByteBuffer)
        /// A line that exceeded the limit and was discarded; `length` is its size in bytes.
        case oversized(length: Int)
    }

    enum Failure: Error, Equatable {
        /// More than `maxDiscardBytes` arrived without a newline after a line went over the limit.
        case endlessLine(discarded: Int)
    }

    private enum State {
        /// Reading a line; `scanned` bytes at the front of the buffer are known to contain no newline.
        case reading(scanned: Int)
        /// Dropping an oversized line; `discarded` bytes of it are gone.
        case discarding(discarded: Int)
    }

    let maxLineBytes: Int
    let maxDiscardBytes: Int
    private var state = State.reading(scanned: 0)

    init(maxLineBytes: Int, maxDiscardBytes: Int? = nil) {
        precondition(maxLineBytes > 0)
        self.maxLineBytes = maxLineBytes
        self.maxDiscardBytes = maxDiscardBytes ?? max(maxLineBytes * 4, 64 * 1024 * 1024)
    }

    /// Takes the next frame out of `buffer`, or returns nil when `buffer` holds no complete frame yet. Bytes that
    /// are not part of a returned frame stay in `buffer` (partial line) or are consumed (discarded line).
    mutating func nextFrame(in buffer: inout ByteBuffer) throws(Failure) -> Frame? {
        switch self.state {
        case .reading(let scanned):
            let view = buffer.readableBytesView
            let searchStart = view.index(view.startIndex, offsetBy: scanned)
            guard let newline = view[searchStart...].firstIndex(of: UInt8(ascii: "\n")) else {
                if view.count > self.maxLineBytes {
                    let discarded = view.count
                    buffer.moveReaderIndex(forwardBy: discarded)
                    self.state = .discarding(discarded: discarded)
                    try self.checkDiscardLimit(discarded)
                } else {
                    self.state = .reading(scanned: view.count)
                }
                return nil
            }
            let length = newline - view.startIndex
            self.state = .reading(scanned: 0)
            var contentLength = length
            if contentLength > 0, view[newline - 1] == UInt8(ascii: "\r") { contentLength -= 1 }
            if contentLength > self.maxLineBytes {
                buffer.moveReaderIndex(forwardBy: length + 1)
                return .oversized(length: contentLength)
            }
            let line = buffer.readSlice(length: contentLength)!
            buffer.moveReaderIndex(forwardBy: length - contentLength + 1)
            return .line(line)

        case .discarding(let discarded):
            let view = buffer.readableBytesView
            guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
                let total = discarded + view.count
                buffer.moveReaderIndex(forwardBy: view.count)
                self.state = .discarding(discarded: total)
                try self.checkDiscardLimit(total)
                return nil
            }
            let length = newline - view.startIndex
            buffer.moveReaderIndex(forwardBy: length + 1)
            self.state = .reading(scanned: 0)
            return .oversized(length: discarded + length)
        }
    }

    /// At end of input: a last line that lacks its newline is still a line (as `printf '...' | socat` sends it).
    mutating func finalFrame(in buffer: inout ByteBuffer) -> Frame? {
        defer { self.state = .reading(scanned: 0) }
        switch self.state {
        case .discarding(let discarded):
            let rest = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: rest)
            return .oversized(length: discarded + rest)
        case .reading:
            guard buffer.readableBytes > 0 else { return nil }
            var line = buffer.readSlice(length: buffer.readableBytes)!
            if line.readableBytesView.last == UInt8(ascii: "\r") {
                line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)!
            }
            return line.readableBytes > self.maxLineBytes ? .oversized(length: line.readableBytes) : .line(line)
        }
    }

    private func checkDiscardLimit(_ discarded: Int) throws(Failure) {
        if discarded > self.maxDiscardBytes { throw .endlessLine(discarded: discarded) }
    }
}

/// The NIO face of `LineFramer`: turns inbound bytes into `LineFramer.Frame`s.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = LineFramer.Frame

    private var framer: LineFramer

    init(maxLineBytes: Int) {
        self.framer = LineFramer(maxLineBytes: maxLineBytes)
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try self.framer.nextFrame(in: &buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while let frame = try self.framer.nextFrame(in: &buffer) {
            context.fireChannelRead(Self.wrapInboundOut(frame))
        }
        if let frame = self.framer.finalFrame(in: &buffer) {
            context.fireChannelRead(Self.wrapInboundOut(frame))
        }
        return .needMoreData
    }
}
