import Testing

@testable import JunctionRPC

@Suite("Line framing")
struct LineFramerTests {
    /// Feeds `chunks` one after another, collecting lines as a reader of the socket would.
    private func frames(
        _ chunks: [[UInt8]],
        maxLineBytes: Int = 64,
        maxDiscardBytes: Int? = nil
    ) throws(LineFramer.Failure) -> [String] {
        var framer = LineFramer(maxLineBytes: maxLineBytes, maxDiscardBytes: maxDiscardBytes)
        var pending: [UInt8] = []
        var output: [String] = []
        for chunk in chunks {
            pending += chunk
            while let line = try framer.nextLine(from: &pending) {
                output.append(Self.describe(line))
            }
        }
        if let line = framer.lastLine(from: &pending) { output.append(Self.describe(line)) }
        return output
    }

    private static func describe(_ line: LineFramer.Line) -> String {
        switch line {
        case .complete(let bytes): String(decoding: bytes, as: UTF8.self)
        case .oversized(let length): "<oversized \(length)>"
        }
    }

    private let stream = Array("{\"a\":1}\n[2]\n\n{\"b\":\"x\"}\n".utf8)

    @Test func bulk() throws {
        #expect(try self.frames([self.stream]) == ["{\"a\":1}", "[2]", "", "{\"b\":\"x\"}"])
    }

    /// Issue 8, defect 13: a CRLF line of exactly `maxLineBytes` is a line even when CR and LF arrive apart.
    @Test func aFullLengthCRLFLineSplitBeforeItsLF() throws {
        let line = [UInt8](repeating: UInt8(ascii: "x"), count: 64)
        let expected = String(repeating: "x", count: 64)
        #expect(try self.frames([line + [13], [10]]) == [expected])
        #expect(try self.frames([line, [13], [10], Array("ok\r\n".utf8)]) == [expected, "ok"])
        // One byte more is over the limit however it arrives.
        #expect(try self.frames([line + [UInt8(ascii: "y"), 13], [10]]) == ["<oversized 65>"])
        // A CR that is not followed by LF is content: the line goes over the limit once the next byte comes.
        #expect(try self.frames([line + [13], Array("z\n".utf8)]) == ["<oversized 66>"])
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
        #expect(try self.frames([Array("a\nlast\r".utf8)]) == ["a", "last"])
    }

    @Test func aLastLineWithoutNewlineIsStillALine() throws {
        #expect(try self.frames([Array("a\nb".utf8)]) == ["a", "b"])
        #expect(try self.frames([Array("a\n".utf8)]) == ["a"])
    }

    @Test func oversizedLineIsDiscardedAndReadingResumes() throws {
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: 100)
        // In one read, and spread over many reads (the framer drops bytes as they come instead of buffering).
        #expect(try self.frames([long + Array("\nok\n".utf8)]) == ["<oversized 100>", "ok"])
        let chunks = stride(from: 0, to: long.count, by: 7).map { Array(long[$0..<min($0 + 7, long.count)]) }
        #expect(try self.frames(chunks + [Array("\nok\n".utf8)]) == ["<oversized 100>", "ok"])
        // At end of input too.
        #expect(try self.frames(chunks) == ["<oversized 100>"])
        // Exactly at the limit is fine.
        let exact = [UInt8](repeating: UInt8(ascii: "y"), count: 64)
        #expect(try self.frames([exact + [UInt8(ascii: "\n")]]) == [String(repeating: "y", count: 64)])
        #expect(try self.frames([exact + Array("\r\n".utf8)]) == [String(repeating: "y", count: 64)])
    }

    /// Found by the fuzz-rpc target: an oversized last line without its LF counted its CR, though a last line
    /// that fits does not, whether the CR arrived with the line's last bytes or after them.
    @Test func anOversizedLastLineExcludesItsCR() throws {
        #expect(try self.frames([Array("abcdef\r".utf8)], maxLineBytes: 4) == ["<oversized 6>"])
        #expect(try self.frames([Array("abcdef".utf8), Array("\r".utf8)], maxLineBytes: 4) == ["<oversized 6>"])
        #expect(try self.frames([Array("abcdef\r".utf8), []], maxLineBytes: 4) == ["<oversized 6>"])
        #expect(try self.frames([Array("abcd\r".utf8)], maxLineBytes: 4) == ["abcd"])
    }

    @Test func cutsSayWhatToRemove() throws {
        var framer = LineFramer(maxLineBytes: 4)
        let cut = { (framer: inout LineFramer, text: String) throws(LineFramer.Failure) -> LineFramer.Cut in
            let bytes = Array(text.utf8)
            return try bytes.withUnsafeBytes { raw in Result { () throws(LineFramer.Failure) in try framer.cut(raw) } }
                .get()
        }
        #expect(try cut(&framer, "ab\r\ncd") == .line(length: 2, consumed: 4))
        #expect(try cut(&framer, "cd") == .incomplete(consumed: 0))
        #expect(try cut(&framer, "cdefg") == .incomplete(consumed: 5))
        #expect(try cut(&framer, "hi\nj") == .oversized(length: 7, consumed: 3))
        #expect(try cut(&framer, "j") == .incomplete(consumed: 0))
        #expect(Array("j".utf8).withUnsafeBytes { framer.cutAtEnd($0) } == .line(length: 1, consumed: 1))
        #expect([UInt8]().withUnsafeBytes { framer.cutAtEnd($0) } == nil)
    }

    @Test func discardedBytesAreNotKept() throws {
        var framer = LineFramer(maxLineBytes: 16, maxDiscardBytes: 1 << 20)
        var pending: [UInt8] = []
        for _ in 0..<100 {
            pending += [UInt8](repeating: 0x41, count: 1000)
            #expect(try framer.nextLine(from: &pending) == nil)
            #expect(pending.isEmpty)
        }
    }

    @Test func anEndlessLineIsAFailure() {
        let garbage = [UInt8](repeating: 0x41, count: 1000)
        #expect(throws: LineFramer.Failure.endlessLine(discarded: 6000)) {
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
        #expect(failure.error.code == RPCErrorCode.parseError.rawValue)
    }
}
