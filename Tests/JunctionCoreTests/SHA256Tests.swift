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
}
