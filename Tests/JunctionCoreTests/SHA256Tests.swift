import JunctionCore
import Testing

@Suite("SHA-256") struct SHA256Tests {
    /// The FIPS 180-4 / NIST example vectors, including the two-block and the million-byte ones.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (String(repeating: "a", count: 1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ])
    func knownVectors(input: String, digest: String) {
        #expect(SHA256.hex(of: Array(input.utf8)) == digest)
    }

    @Test func feedingInPiecesGivesTheSameDigest() {
        let text = Array(String(repeating: "junction ", count: 100).utf8)
        var hasher = SHA256()
        hasher.update(text[..<7])
        hasher.update(text[7..<130])
        hasher.update(text[130...])
        let hex = hasher.finalize().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        #expect(hex == SHA256.hex(of: text))
    }

    @Test func theCanonicalPromptIgnoresEverythingButSystemAndMessages() {
        let one = ChatRequest(messages: [ChatMessage(role: .user, content: "hi")], system: "be brief", maxTokens: 5)
        let two = ChatRequest(messages: [ChatMessage(role: .user, content: "hi")], system: "be brief", temperature: 1)
        let three = ChatRequest(messages: [ChatMessage(role: .user, content: "hi!")], system: "be brief")
        #expect(one.promptSHA256 == two.promptSHA256)
        #expect(one.promptSHA256 != three.promptSHA256)
        #expect(String(decoding: one.canonicalPrompt, as: UTF8.self)
            == #"{"system":"be brief","messages":[{"role":"user","content":"hi"}]}"#)
    }

    /// The canonical prompt is written as bytes; it must stay exactly the compact JSON of the same value (ledger
    /// digests of equal prompts stay equal across versions), escapes and `null` system included.
    @Test func theCanonicalPromptIsTheCompactJSONOfSystemAndMessages() {
        let requests = [
            ChatRequest(messages: [ChatMessage(role: .user, content: "hi")]),
            ChatRequest(
                messages: [
                    ChatMessage(role: .user, content: "say \"quoted\"\nand\ttabs \u{1} é 😀 \\ /"),
                    ChatMessage(role: .assistant, content: ""), ChatMessage(role: .user, content: "again"),
                ],
                system: "line\u{2028}sep"
            ),
        ]
        for request in requests {
            let messages: [JSONValue] = request.messages.map {
                .object(["role": .string($0.role.rawValue), "content": .string($0.content)])
            }
            let value: JSONValue = ["system": request.system.map(JSONValue.string) ?? .null, "messages": .array(messages)]
            #expect(String(decoding: request.canonicalPrompt, as: UTF8.self) == value.compactText)
        }
        #expect(SHA256.hex(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
