import JunctionRPC
import NIOCore

/// `LineFramer` over NIO's read buffer: lines come out as slices of it, without copying.
extension LineFramer {
    enum Frame: Equatable {
        /// One line without its terminator (a trailing CR is removed too, for CRLF clients).
        case line(ByteBuffer)
        /// A line that exceeded the limit and was discarded; `length` is its size in bytes.
        case oversized(length: Int)
    }

    /// Takes the next frame out of `buffer`, or returns nil when `buffer` holds no complete frame yet. Bytes that
    /// are not part of a returned frame stay in `buffer` (partial line) or are consumed (discarded line).
    mutating func nextFrame(in buffer: inout ByteBuffer) throws(Failure) -> Frame? {
        let cut = buffer.withUnsafeReadableBytes { bytes in Result { () throws(Failure) in try self.cut(bytes) } }
        return Self.take(try cut.get(), from: &buffer)
    }

    /// At end of input: a last line that lacks its newline is still a line.
    mutating func finalFrame(in buffer: inout ByteBuffer) -> Frame? {
        guard let cut = buffer.withUnsafeReadableBytes({ self.cutAtEnd($0) }) else { return nil }
        return Self.take(cut, from: &buffer)
    }

    private static func take(_ cut: Cut, from buffer: inout ByteBuffer) -> Frame? {
        switch cut {
        case .line(let length, let consumed):
            let line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: consumed - length)
            return .line(line)
        case .oversized(let length, let consumed):
            buffer.moveReaderIndex(forwardBy: consumed)
            return .oversized(length: length)
        case .incomplete(let consumed):
            buffer.moveReaderIndex(forwardBy: consumed)
            return nil
        }
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
