import JunctionClient
import JunctionCore
import JunctionRPC
import Testing

extension EndToEnd {
    @Suite("RPCClient on the shared JSON-RPC types")
    struct RPCClientTests {
        @Test func errorAnswersAreThrownAsTheDaemonsRPCError() throws {
            let daemon = try DaemonProcess()
            let client = try daemon.client()
            do {
                _ = try client.call("no.such.method")
                Issue.record("an unknown method was answered")
            } catch let error as RPCError {
                #expect(error.code == RPCErrorCode.methodNotFound.rawValue)
                #expect(error.data?["method"] == "no.such.method")
                #expect(error.description == "error -32601: Method not found: no.such.method")
            }
        }

        @Test func aReplyOverTheLimitIsReportedAndTheConnectionCarriesOn() throws {
            let daemon = try DaemonProcess()
            let client = try RPCClient(path: daemon.socket, timeout: 10, maxReplyBytes: 1024)
            do {
                _ = try client.call("rpc.discover")  // the OpenRPC document is over 20 KB
                Issue.record("a reply over maxReplyBytes was accepted")
            } catch RPCClient.Failure.malformedReply(let detail) {
                #expect(detail.contains("exceeds 1024 bytes"), "\(detail)")
            }
            #expect(try client.call("ping")["pong"] == true)
        }
    }
}
