import JunctionClient
import JunctionCore
import Testing

extension EndToEnd {
    /// The examples of the JSON-RPC 2.0 specification (section 7), adapted to `ping`, against a real daemon.
    @Suite("JSON-RPC 2.0 specification examples")
    struct ProtocolTests {
        let daemon: DaemonProcess

        init() throws {
            self.daemon = try DaemonProcess()
        }

        private func call(_ line: String) throws -> JSONValue {
            try exchange(self.daemon, line)
        }

        @Test func callWithPositionalParams() throws {
            let answer = try self.call(#"{"jsonrpc": "2.0", "method": "ping", "params": [], "id": 1}"#)
            #expect(answer["result"]?["pong"] == true)
            #expect(answer["id"] == 1)
            let wrong = try self.call(#"{"jsonrpc": "2.0", "method": "ping", "params": [42, 23], "id": 2}"#)
            #expect(wrong["error"]?["code"] == -32602)
            #expect(wrong["id"] == 2)
        }

        @Test func callWithNamedParams() throws {
            let answer = try self.call(#"{"jsonrpc": "2.0", "method": "ping", "params": {"delay_ms": 1}, "id": 3}"#)
            #expect(answer["result"]?["pong"] == true)
            #expect(answer["result"]?["version"] == .string(JunctionVersion.current))
            #expect(answer["id"] == 3)
        }

        @Test func idsAreEchoedExactly() throws {
            #expect(try self.call(#"{"jsonrpc":"2.0","method":"ping","id":"abc"}"#)["id"] == "abc")
            #expect(try self.call(#"{"jsonrpc":"2.0","method":"ping","id":12345678901234567890}"#)["id"] == .number("12345678901234567890"))
            #expect(try self.call(#"{"jsonrpc":"2.0","method":"ping","id":null}"#)["id"] == .null)
        }

        @Test func notificationsAreNeverAnswered() throws {
            let client = try self.daemon.client()
            try client.send(line: Array(#"{"jsonrpc": "2.0", "method": "ping", "params": {}}"#.utf8))
            // Even a failing notification gets no answer.
            try client.send(line: Array(#"{"jsonrpc": "2.0", "method": "foobar"}"#.utf8))
            try client.send(line: Array(#"{"jsonrpc": "2.0", "method": "ping", "params": {"bogus": 1}}"#.utf8))
            try client.send(line: Array(#"{"jsonrpc": "2.0", "method": "ping", "id": "after"}"#.utf8))
            let answer = try client.receive()
            #expect(answer["id"] == "after")
            #expect(answer["result"]?["pong"] == true)
        }

        @Test func nonExistentMethod() throws {
            let answer = try self.call(#"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#)
            #expect(answer["error"]?["code"] == -32601)
            #expect(answer["id"] == "1")
        }

        @Test func invalidJSONAndTheConnectionSurvives() throws {
            let client = try self.daemon.client()
            try client.send(line: Array(#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#.utf8))
            let answer = try client.receive()
            #expect(answer["error"]?["code"] == -32700)
            #expect(answer["id"] == .null)
            try client.send(line: Array(#"{"jsonrpc": "2.0", "method": "ping", "id": 2}"#.utf8))
            #expect(try client.receive()["result"]?["pong"] == true)
        }

        @Test func invalidRequestObject() throws {
            let answer = try self.call(#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#)
            #expect(answer["error"]?["code"] == -32600)
            #expect(answer["id"] == .null)
        }

        @Test func batchWithInvalidJSON() throws {
            let answer = try self.call(
                #"[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method""#
            )
            #expect(answer["error"]?["code"] == -32700)
            #expect(answer["id"] == .null)
        }

        @Test func emptyArray() throws {
            let answer = try self.call("[]")
            #expect(answer.objectValue != nil)
            #expect(answer["error"]?["code"] == -32600)
        }

        @Test func invalidBatchButNotEmpty() throws {
            let answer = try self.call("[1]")
            #expect(answer.arrayValue?.count == 1)
            #expect(answer.arrayValue?.first?["error"]?["code"] == -32600)
        }

        @Test func invalidBatch() throws {
            let answer = try self.call("[1,2,3]")
            let codes = answer.arrayValue?.map { $0["error"]?["code"] }
            #expect(codes == [-32600, -32600, -32600])
        }

        @Test func mixedBatch() throws {
            let answer = try self.call(
                """
                [{"jsonrpc": "2.0", "method": "ping", "params": {}, "id": "1"},\
                {"jsonrpc": "2.0", "method": "ping", "params": {}},\
                {"jsonrpc": "2.0", "method": "ping", "params": {"delay_ms": "x"}, "id": "2"},\
                {"foo": "boo"},\
                {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},\
                {"jsonrpc": "2.0", "method": "daemon.status", "id": "9"}]
                """
            )
            let responses = try #require(answer.arrayValue)
            #expect(responses.count == 5)
            func response(_ id: JSONValue) -> JSONValue? { responses.first { $0["id"] == id } }
            #expect(response("1")?["result"]?["pong"] == true)
            #expect(response("2")?["error"]?["code"] == -32602)
            #expect(response("2")?["error"]?["data"]?["field"] == "delay_ms")
            #expect(response(.null)?["error"]?["code"] == -32600)
            #expect(response("5")?["error"]?["code"] == -32601)
            #expect(response("9")?["result"]?["socket"] == .string(self.daemon.socket))
        }

        @Test func batchOfNotificationsGetsNoReply() throws {
            let client = try self.daemon.client()
            try client.send(
                line: Array(#"[{"jsonrpc": "2.0", "method": "ping", "params": {}}, {"jsonrpc": "2.0", "method": "ping"}]"#.utf8)
            )
            try client.send(line: Array(#"{"jsonrpc": "2.0", "method": "ping", "id": "next"}"#.utf8))
            #expect(try client.receive()["id"] == "next")
        }

        @Test func oversizedLineIsRefusedAndTheConnectionCarriesOn() throws {
            let small = try DaemonProcess(config: "[server]\nmax_line_bytes = 1024\n")
            let client = try small.client()
            let padding = String(repeating: "x", count: 5000)
            try client.send(line: Array("{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"params\":{\"p\":\"\(padding)\"},\"id\":1}".utf8))
            let answer = try client.receive()
            #expect(answer["error"]?["code"] == -32600)
            #expect(answer["error"]?["message"]?.stringValue?.contains("max_line_bytes") == true)
            try client.send(line: Array(#"{"jsonrpc":"2.0","method":"ping","id":2}"#.utf8))
            #expect(try client.receive()["result"]?["pong"] == true)
        }

        @Test func deeplyNestedInputIsRefused() throws {
            let nested = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
            let answer = try self.call(#"{"jsonrpc":"2.0","method":"ping","params":{"x":\#(nested)},"id":1}"#)
            #expect(answer["error"]?["code"] == -32600)
        }

        @Test func crlfClientsAreUnderstood() throws {
            let client = try self.daemon.client()
            try client.send(raw: Array("{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}\r\n".utf8))
            #expect(try client.receive()["result"]?["pong"] == true)
        }

        @Test func invalidUTF8IsAParseError() throws {
            let client = try self.daemon.client()
            try client.send(raw: Array("{\"jsonrpc\":\"2.0\",\"method\":\"p".utf8) + [0xFF, 0xFE] + Array("\",\"id\":1}\n".utf8))
            #expect(try client.receive()["error"]?["code"] == -32700)
        }

        @Test func halfClosedClientsStillGetTheirAnswers() throws {
            // What `echo ... | socat - UNIX-CONNECT:...` does: send, shut down the write side, read.
            let client = try self.daemon.client()
            try client.send(raw: Array(#"{"jsonrpc":"2.0","method":"ping","params":{"delay_ms":100},"id":1}"#.utf8))
            client.finishSending()
            #expect(try client.receive()["result"]?["pong"] == true)
        }

        @Test func adminMethodsAreAllowedForRoot() throws {
            let answer = try self.call(#"{"jsonrpc":"2.0","method":"admin.reload","id":1}"#)
            #expect(answer["result"]?["reloaded"] == true)
        }
    }
}
