import Testing

@testable import JunctionCore

@Suite("Structured output instruction")
struct StructuredInstructionTests {
    @Test func theInstructionNamesJSONAndCarriesTheSchema() {
        let object = JSONSchemaFormat(name: "o", schema: ["properties": ["a": ["type": "string"]]])
        let list = JSONSchemaFormat(name: "l", schema: ["type": "array"])
        #expect(object.describesObject)
        #expect(!list.describesObject)
        #expect(!JSONSchemaFormat(name: "u", schema: ["anyOf": [["type": "object"]]]).describesObject)
        #expect(ResponseFormat.text.systemInstruction == nil)
        #expect(ResponseFormat.jsonObject.systemInstruction == "Answer with one JSON object and nothing else.")
        let prefix = "Answer with one JSON object that follows this JSON Schema, and nothing else: "
        let expected = prefix + #"{"properties":{"a":{"type":"string"}}}"#
        #expect(ResponseFormat.jsonSchema(object).systemInstruction == expected)
        #expect(ResponseFormat.jsonSchema(list).systemInstruction?.hasPrefix("Answer with one JSON value that") == true)
        let request = ChatRequest(messages: [ChatMessage(role: .system, content: "S")], system: "Top")
        #expect(request.systemPrompt(adding: "I") == "Top\n\nS\n\nI")
        #expect(ChatRequest(messages: []).systemPrompt(adding: nil) == nil)
    }
}
