import Testing

@testable import JunctionCore

/// Issue 8, defect 2: configured secrets, their fragments and header-echo credentials never pass.
@Suite("Secret redaction")
struct SecretRedactorTests {
    let key = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX1234"
    var redactor: SecretRedactor { SecretRedactor(secrets: [self.key, "short"]) }

    @Test func aConfiguredSecretIsRemovedWherever() {
        let text = "Incorrect API key provided: \(self.key). You can find your API key at https://example"
        let redacted = self.redactor.redact(text)
        #expect(!redacted.contains("ABCDEFGHIJ"))
        #expect(redacted == "Incorrect API key provided: [redacted]. You can find your API key at https://example")
    }

    @Test func aTruncatedEchoIsRemovedToo() {
        // Providers echo keys shortened ("sk-proj-ABCD...1234") or cut at a length.
        let redacted = self.redactor.redact("key sk-proj-ABCDEFGHIJKLM was refused")
        #expect(!redacted.contains("ABCDEFGHIJ"))
        #expect(redacted.hasPrefix("key [redacted]"))
    }

    @Test func headerEchoesAreRemovedWhateverTheValue() {
        let redactor = SecretRedactor(secrets: [String]())
        let cases = [
            "Headers received: Authorization: Bearer unknown-token-value-123, host: x",
            "{\"authorization\":\"Bearer unknown-token-value-123\"}",
            "x-api-key: unknown-token-value-123; accept: */*",
            "X-Goog-Api-Key: unknown-token-value-123",
            "GET /v1beta/models?key=unknown-token-value-123&alt=sse",
        ]
        for text in cases {
            let redacted = redactor.redact(text)
            #expect(!redacted.contains("unknown-token"), "\(redacted)")
            #expect(redacted.contains(SecretRedactor.marker), "\(redacted)")
        }
    }

    @Test func ordinaryTextIsLeftAlone() {
        let text = "The server had an error while processing your request. Sorry about that! (short)"
        #expect(self.redactor.redact(text) == text)
        // A short configured value is not a secret: it would match ordinary words.
        #expect(self.redactor.redact("a short answer") == "a short answer")
        #expect(self.redactor.redact("") == "")
    }

    @Test func providerErrorsAreRedactedInEveryText() {
        let error = ProviderError(kind: .badRequest, status: 400, type: "x", code: self.key, message: "echo \(self.key)")
        let redacted = self.redactor.redact(error)
        #expect(redacted.message == "echo [redacted]")
        #expect(redacted.code == "[redacted]")
        #expect(redacted.status == 400 && redacted.kind == .badRequest)
    }

    /// A password written into a base URL or proxy URL is shown masked and is a secret to the redactor.
    @Test func urlCredentialsAreMaskedAndRedacted() {
        let url = "https://gateway-user:hunter2-SECRET-pw@llm.example.com:8443/v1?x=@y"
        #expect(URLCredentials.masked(url) == "https://***@llm.example.com:8443/v1?x=@y")
        #expect(URLCredentials.masked("http://127.0.0.1:8080/v1") == "http://127.0.0.1:8080/v1")
        #expect(URLCredentials.masked("http://host/path@not-userinfo") == "http://host/path@not-userinfo")
        let secrets = URLCredentials.secrets(in: url)
        #expect(secrets == ["gateway-user:hunter2-SECRET-pw", "hunter2-SECRET-pw"])
        let redactor = SecretRedactor(secrets: secrets)
        #expect(!redactor.redact("proxy said: bad password hunter2-SECRET-pw").contains("hunter2"))
    }
}
