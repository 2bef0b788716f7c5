import JunctionCore
import Testing

@testable import JunctionDaemon

@Suite("generate params")
struct GenerateParamsTests {
    private func field(_ params: JSONValue) -> String? {
        do {
            _ = try GenerateParams.parse(params)
            return nil
        } catch {
            #expect(error.code == -32602)
            return error.data?["field"]?.stringValue
        }
    }

    @Test func anEmptyOrBlankPromptIsInvalid() {
        #expect(self.field(["prompt": ""]) == "prompt")
        #expect(self.field(["prompt": " \n\t "]) == "prompt")
        #expect(self.field(["prompt": "\u{00A0}\u{2003}"]) == "prompt")
        #expect(self.field(["prompt": " hi "]) == nil)
    }

    @Test func aMessageListWithoutContentIsInvalid() {
        #expect(self.field(["messages": [["role": "user", "content": ""]]]) == "messages")
        #expect(
            self.field([
                "messages": [
                    ["role": "system", "content": "Be brief."], ["role": "user", "content": "  "],
                    ["role": "assistant", "content": ""],
                ]
            ]) == "messages"
        )
        // One message with content is enough; an empty turn among others is the caller's business.
        #expect(
            self.field(["messages": [["role": "user", "content": ""], ["role": "user", "content": "Go on"]]]) == nil
        )
    }
}
