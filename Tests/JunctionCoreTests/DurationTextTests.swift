import Testing

@testable import JunctionCore

@Suite("Duration text")
struct DurationTextTests {
    @Test(arguments: [
        ("30s", Duration.seconds(30)),
        ("250ms", .milliseconds(250)),
        ("5m", .seconds(300)),
        ("1h30m", .seconds(5_400)),
        ("1.5s", .milliseconds(1_500)),
        ("100us", .microseconds(100)),
        (" 2s ", .seconds(2)),
        ("0s", .zero),
        ("90d", .seconds(90 * 86_400)),
        ("1d12h", .seconds(36 * 3_600)),
    ])
    func parses(text: String, expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test(arguments: ["", "30", "s", "5 m", "-1s", "1w", "10sec", "1.2.3s"])
    func rejects(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test func formatsShortly() {
        #expect(DurationText.format(.seconds(10)) == "10s")
        #expect(DurationText.format(.milliseconds(250)) == "250ms")
        #expect(DurationText.format(.seconds(300)) == "5m")
        #expect(DurationText.format(.milliseconds(1_500)) == "1.5s")
    }
}
