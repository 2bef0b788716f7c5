import NIOCore
import Testing

@testable import JunctionDaemon

@Suite("Line framing")
struct LineFramerTests {
    /// Feeds `chunks` one after another, collecting frames as a caller on a channel would.
    private func frames(
        _ chunks: [[UInt8]],
        maxLineBytes: Int = 64,
        maxDiscardBytes: Int? = nil
    ) throws(LineFramer.Failure) -> [String] {
        var framer = LineFramer(maxLineBytes: maxLineBytes, maxDiscardBytes: maxDiscardBytes)
        var buffer = ByteBuffer()
        var output: [String] = []
        for chunk in chunks {
            buffer.writeBytes(chunk)
            while let frame = try framer.nextFrame(in: &buffer) {
                output.append(Self.describe(frame))
            }
            buffer.discardReadBytes()
        }
        if let frame = framer.finalFrame(in: &buffer) { output.append(Self.describe(frame)) }
        return output
    }

    private static func describe(_ frame: LineFramer.Frame) -> String {
        switch frame {
        case .line(let line): String(buffer: line)
        case .oversized(let length): "<oversized \(length)>"
        }
    }

    private let stream = Array("{\"a\":1}\n[2]\n\n{\"b\":\"x\"}\n".utf8)

    @Test func bulk() throws {
        #expect(try self.frames([self.stream]) == ["{\"a\":1}", "[2]", "", "{\"b\":\"x\"}"])
    }

    @Test func byteByByte() throws {
        #expect(try self.frames(self.stream.map { [$0] }) == ["{\"a\":1}", "[2]", "", "{\"b\":\"x\"}"])
    }

    @Test func everySplitIntoTwoReads() throws {
        for cut in 0...self.stream.count {
            let chunks = [Array(self.stream[..<cut]), Array(self.stream[cut...])]
            #expect(try self.frames(chunks) == ["{\"a\":1}", "[2]", "", "{\"b\":\"x\"}"], "cut at \(cut)")
        }
    }

    @Test func crlfLineEndingsAreTolerated() throws {
        #expect(try self.frames([Array("one\r\ntwo\r\n".utf8)]) == ["one", "two"])
        #expect(try self.frames([Array("one\r".utf8), Array("\ntwo\r".utf8), Array("\n".utf8)]) == ["one", "two"])
    }

    @Test func aLastLineWithoutNewlineIsStillALine() throws {
        #expect(try self.frames([Array("a\nb".utf8)]) == ["a", "b"])
    }

    @Test func oversizedLineIsDiscardedAndReadingResumes() throws {
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: 100)
        // In one read, and spread over many reads (the framer drops bytes as they come instead of buffering).
        #expect(try self.frames([long + Array("\nok\n".utf8)]) == ["<oversized 100>", "ok"])
        let chunks = stride(from: 0, to: long.count, by: 7).map { Array(long[$0..<min($0 + 7, long.count)]) }
        #expect(try self.frames(chunks + [Array("\nok\n".utf8)]) == ["<oversized 100>", "ok"])
        // Exactly at the limit is fine.
        let exact = [UInt8](repeating: UInt8(ascii: "y"), count: 64)
        #expect(try self.frames([exact + [UInt8(ascii: "\n")]]) == [String(repeating: "y", count: 64)])
    }

    @Test func discardedBytesAreNotKept() throws {
        var framer = LineFramer(maxLineBytes: 16, maxDiscardBytes: 1 << 20)
        var buffer = ByteBuffer()
        for _ in 0..<100 {
            buffer.writeBytes([UInt8](repeating: 0x41, count: 1000))
            #expect(try framer.nextFrame(in: &buffer) == nil)
            buffer.discardReadBytes()
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test func anEndlessLineIsAFailure() {
        let garbage = [UInt8](repeating: 0x41, count: 1000)
        #expect(throws: LineFramer.Failure.self) {
            _ = try self.frames(Array(repeating: garbage, count: 10), maxLineBytes: 64, maxDiscardBytes: 5000)
        }
    }

    @Test func invalidUTF8PassesThroughFramingAndFailsAsJSON() throws {
        let lines = try self.frames([[0xFF, 0xFE, UInt8(ascii: "\n")]])
        #expect(lines.count == 1)
        let inbound = [UInt8]([0xFF, 0xFE]).withUnsafeBytes { RPCDecoder.decode($0, maxDepth: 8) }
        guard case .failure(let failure) = inbound else {
            Issue.record("invalid UTF-8 decoded as \(inbound)")
            return
        }
        #expect(failure.error.code == -32700)
    }
}
