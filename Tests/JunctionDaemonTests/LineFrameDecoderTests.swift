import JunctionRPC
import NIOCore
import Testing

@testable import JunctionDaemon

/// The framing rules are `JunctionRPCTests`' subject; this covers how the daemon applies them to its read buffer.
@Suite("Line framing over ByteBuffer")
struct LineFrameDecoderTests {
    private func frames(_ chunks: [String], maxLineBytes: Int = 8) throws(LineFramer.Failure) -> [String] {
        var framer = LineFramer(maxLineBytes: maxLineBytes)
        var buffer = ByteBuffer()
        var output: [String] = []
        for chunk in chunks {
            buffer.writeString(chunk)
            while let frame = try framer.nextFrame(in: &buffer) { output.append(Self.describe(frame)) }
            buffer.discardReadBytes()
        }
        if let frame = framer.finalFrame(in: &buffer) { output.append(Self.describe(frame)) }
        #expect(buffer.readableBytes == 0)
        return output
    }

    private static func describe(_ frame: LineFramer.Frame) -> String {
        switch frame {
        case .line(let line): String(buffer: line)
        case .oversized(let length): "<oversized \(length)>"
        }
    }

    @Test func linesAreSlicedOutWithoutTheirTerminators() throws {
        #expect(try self.frames(["one\r\ntw", "o\n\nthree"]) == ["one", "two", "", "three"])
        #expect(try self.frames(Array("a\r\nb\n".map(String.init))) == ["a", "b"])
    }

    @Test func oversizedLinesAreDroppedFromTheBuffer() throws {
        #expect(try self.frames(["0123456789", "ab\nok\n"]) == ["<oversized 12>", "ok"])
        #expect(try self.frames(["0123456789\r\nok"]) == ["<oversized 10>", "ok"])
        #expect(try self.frames(["0123456789", "ab"]) == ["<oversized 12>"])
    }
}
