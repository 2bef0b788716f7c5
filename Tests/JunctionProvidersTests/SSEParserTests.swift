import Testing

@testable import JunctionProviders

@Suite("SSE parsing")
struct SSEParserTests {
    private func parseAll(_ chunks: [[UInt8]]) -> [SSEEvent] {
        var parser = SSEParser()
        return chunks.flatMap { parser.feed($0) }
    }

    private let stream = Array(
        ": comment\r\nevent: first\r\ndata: one\r\ndata:two\r\nid: 7\r\n\r\ndata: {\"a\": 1}\n\ndata:  spaced\rdata\r\r".utf8
    )

    private var expected: [SSEEvent] {
        [
            SSEEvent(name: "first", data: "one\ntwo", id: "7"),
            SSEEvent(name: nil, data: "{\"a\": 1}", id: "7"),
            SSEEvent(name: nil, data: " spaced\n", id: "7"),
        ]
    }

    @Test func lfCrAndCrlfAndCommentsAndMultilineData() {
        #expect(self.parseAll([self.stream]) == self.expected)
    }

    @Test func everySplitIntoTwoReadsGivesTheSameEvents() {
        for cut in 0...self.stream.count {
            #expect(self.parseAll([Array(self.stream[..<cut]), Array(self.stream[cut...])]) == self.expected, "cut \(cut)")
        }
    }

    @Test func byteByByte() {
        #expect(self.parseAll(self.stream.map { [$0] }) == self.expected)
    }

    @Test func everySplitIntoThreeReads() {
        let count = self.stream.count
        for first in stride(from: 0, through: count, by: 3) {
            for second in stride(from: first, through: count, by: 5) {
                let chunks = [Array(self.stream[..<first]), Array(self.stream[first..<second]), Array(self.stream[second...])]
                #expect(self.parseAll(chunks) == self.expected)
            }
        }
    }

    @Test func anUnterminatedEventIsDroppedAndCommentsAreCounted() {
        var parser = SSEParser()
        #expect(parser.feed(Array(": keep-alive\n\n: keep-alive\n\ndata: partial".utf8)).isEmpty)
        #expect(parser.comments == 2)
    }

    @Test func eventWithoutDataIsNotDispatched() {
        var parser = SSEParser()
        #expect(parser.feed(Array("event: ping\n\ndata: x\n\n".utf8)) == [SSEEvent(name: nil, data: "x")])
    }
}
