import Testing

@testable import JunctionCore

@Suite("Retry hints")
struct RetryHintParsingTests {
    @Test func retryAfterFormats() {
        #expect(RetryHintParsing.hints(from: ["retry-after-ms": "1500"], now: 0).retryAfter == .milliseconds(1500))
        #expect(RetryHintParsing.hints(from: ["retry-after": "2"], now: 0).retryAfter == .seconds(2))
        // retry-after-ms wins over retry-after.
        #expect(RetryHintParsing.hints(from: ["retry-after": "9", "retry-after-ms": "100"], now: 0).retryAfter == .milliseconds(100))
        // An HTTP date, 30 s after "now".
        let now = HTTPDate.parse("Sun, 06 Nov 1994 08:49:07 GMT")!
        #expect(RetryHintParsing.hints(from: ["retry-after": "Sun, 06 Nov 1994 08:49:37 GMT"], now: now).retryAfter == .seconds(30))
        #expect(RetryHintParsing.hints(from: ["retry-after": "soon"], now: 0).retryAfter == nil)
        #expect(RetryHintParsing.hints(from: ["x-should-retry": "false"], now: 0).shouldRetry == false)
        #expect(RetryHintParsing.hints(from: ["x-should-retry": "true"], now: 0).shouldRetry == true)
    }

    @Test func goDurations() {
        #expect(RetryHintParsing.goDuration("6m0s") == .seconds(360))
        #expect(RetryHintParsing.goDuration("120ms") == .milliseconds(120))
        #expect(RetryHintParsing.goDuration("1h2m3.5s") == .milliseconds(3_723_500))
        #expect(RetryHintParsing.goDuration("20s") == .seconds(20))
        #expect(RetryHintParsing.goDuration("fast") == nil)
    }

    @Test func tryAgainInMessages() {
        #expect(RetryHintParsing.tryAgainIn("Rate limit reached. Please try again in 1.2s. Visit ...") == .milliseconds(1200))
        #expect(RetryHintParsing.tryAgainIn("Please try again in 20ms.") == .milliseconds(20))
        #expect(RetryHintParsing.tryAgainIn("Please try again later.") == nil)
    }

    @Test func protobufAndRFC3339() {
        #expect(RetryHintParsing.protobufDuration("30s") == .seconds(30))
        #expect(RetryHintParsing.protobufDuration("1.5s") == .milliseconds(1500))
        #expect(RFC3339.parse("1970-01-01T00:01:00Z") == 60)
        #expect(RFC3339.parse("2026-11-21T10:00:30.5+01:00") == RFC3339.parse("2026-11-21T09:00:30.5Z"))
        #expect(RFC3339.parse("2026-11-21 10:00:30") == nil)
        #expect(HTTPDate.parse("Thu, 01 Jan 1970 00:00:10 GMT") == 10)
    }
}
