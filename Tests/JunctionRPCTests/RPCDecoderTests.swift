import JunctionCore
import Testing

@testable import JunctionRPC

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

    @Test func requestsEncodeAsTheDecoderReadsThem() {
        let call = RPCEncoder.request(id: .number("7"), method: "generate", params: ["prompt": "hi"])
        let decoded = RPCEncoder.line(call).dropLast().withUnsafeBytes { RPCDecoder.decode($0, maxDepth: 16) }
        guard case .single(let request) = decoded else {
            Issue.record("not a single request: \(decoded)")
            return
        }
        #expect(request.id == .number("7"))
        #expect(request.method == "generate")
        #expect(request.params == ["prompt": "hi"])
        #expect(RPCEncoder.request(id: nil, method: "ping")["id"] == nil)
        #expect(RPCEncoder.request(id: nil, method: "ping")["params"] == nil)
    }

    @Test func repliesDecodeAsTheEncoderWritesThem() throws {
        #expect(
            try RPCDecoder.reply(from: RPCEncoder.response(id: .string("a"), result: ["pong": true]))
                == .response(id: .string("a"), outcome: .success(["pong": true]))
        )
        let refusal = RPCError.invalidParams(field: "model", problem: "is unknown")
        #expect(
            try RPCDecoder.reply(from: RPCEncoder.errorResponse(id: .number("3"), error: refusal))
                == .response(id: .number("3"), outcome: .failure(refusal))
        )
        #expect(
            try RPCDecoder.reply(from: RPCEncoder.notification(method: "generate.delta", params: ["text": "x"]))
                == .notification(method: "generate.delta", params: ["text": "x"])
        )
    }

    @Test func malformedRepliesSayWhatIsWrong() {
        let cases: [(JSONValue, String)] = [
            ([1], "expected a JSON-RPC object"),
            (["result": 1, "id": 1], "\"jsonrpc\""),
            (["jsonrpc": "2.0", "id": 1], "exactly one of"),
            (["jsonrpc": "2.0", "result": 1, "error": ["code": 1, "message": "x"], "id": 1], "exactly one of"),
            (["jsonrpc": "2.0", "error": ["code": "x", "message": "x"], "id": 1], "integer \"code\""),
            (["jsonrpc": "2.0", "result": 1, "id": [1]], "id must be"),
            (["jsonrpc": "2.0", "params": [1]], "notification"),
        ]
        for (message, expected) in cases {
            #expect(throws: RPCMalformedReply.self, "\(message.compactText)") { try RPCDecoder.reply(from: message) }
            do {
                _ = try RPCDecoder.reply(from: message)
            } catch {
                #expect("\(error)".contains(expected), "\(message.compactText): \(error)")
            }
        }
    }

    @Test func errorObjectsRoundTrip() {
        let error = RPCError(code: RPCErrorCode.rateLimited.rawValue, message: "slow", data: ["retry_after_ms": 500])
        #expect(RPCError(json: error.json) == error)
        #expect(RPCError(json: ["code": -32001]) == nil)
        #expect(error.description == "error -32002: slow")
    }

    @Test func responsesAreOneLine() {
        let line = RPCEncoder.line(RPCEncoder.response(id: .string("x\ny"), result: ["text": "a\nb"]))
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().contains(UInt8(ascii: "\n")) == false)
    }
}
