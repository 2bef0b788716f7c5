import JunctionCore
import Testing

@testable import JunctionDaemon

@Suite("JSON-RPC decoding")
struct RPCDecoderTests {
    private func decode(_ text: String) -> RPCInbound {
        Array(text.utf8).withUnsafeBytes { RPCDecoder.decode($0, maxDepth: 16) }
    }

    private func failureCode(_ text: String) -> Int? {
        if case .failure(let failure) = self.decode(text) { return failure.error.code }
        return nil
    }

    @Test func requestNotificationAndIdKinds() {
        guard case .single(let request) = self.decode(#"{"jsonrpc":"2.0","method":"ping","params":{},"id":"a"}"#) else {
            Issue.record("not a single request")
            return
        }
        #expect(request.id == .string("a"))
        #expect(request.method == "ping")
        guard case .single(let notification) = self.decode(#"{"jsonrpc":"2.0","method":"ping"}"#) else {
            Issue.record("not a single request")
            return
        }
        #expect(notification.isNotification)
        guard case .single(let nullID) = self.decode(#"{"jsonrpc":"2.0","method":"ping","id":null}"#) else {
            Issue.record("not a single request")
            return
        }
        #expect(nullID.id == .null)
        #expect(!nullID.isNotification)
    }

    @Test func invalidRequests() {
        #expect(self.failureCode(#"{"jsonrpc":"1.0","method":"ping","id":1}"#) == -32600)
        #expect(self.failureCode(#"{"method":"ping","id":1}"#) == -32600)
        #expect(self.failureCode(#"{"jsonrpc":"2.0","method":1,"params":"bar"}"#) == -32600)
        #expect(self.failureCode(#"{"jsonrpc":"2.0","method":"ping","params":"bar","id":1}"#) == -32600)
        #expect(self.failureCode(#"{"jsonrpc":"2.0","method":"ping","id":{"a":1}}"#) == -32600)
        #expect(self.failureCode("[]") == -32600)
        #expect(self.failureCode("1") == -32600)
        #expect(self.failureCode(String(repeating: "[", count: 20) + String(repeating: "]", count: 20)) == -32600)
        #expect(self.failureCode(#"{"jsonrpc":"2.0","method""#) == -32700)
    }

    @Test func anInvalidRequestWithAReadableIdIsAnsweredUnderThatId() {
        guard case .failure(let failure) = self.decode(#"{"jsonrpc":"2.0","method":7,"id":9}"#) else {
            Issue.record("not a failure")
            return
        }
        #expect(failure.id == .number("9"))
    }

    @Test func batchesKeepEachElementsOutcome() {
        guard case .batch(let items) = self.decode(#"[{"jsonrpc":"2.0","method":"ping","id":1}, 1, {"foo":"boo"}]"#) else {
            Issue.record("not a batch")
            return
        }
        #expect(items.count == 3)
        #expect((try? items[0].get())?.method == "ping")
        #expect(throws: RPCFailure.self) { try items[1].get() }
        #expect(throws: RPCFailure.self) { try items[2].get() }
    }

    @Test func whitespaceOnlyLinesAreIgnored() {
        guard case .empty = self.decode("  \t ") else {
            Issue.record("blank line was not ignored")
            return
        }
    }

    @Test func responsesAreOneLine() {
        let line = RPCEncoder.line(RPCEncoder.response(id: .string("x\ny"), result: ["text": "a\nb"]))
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().contains(UInt8(ascii: "\n")) == false)
    }
}
