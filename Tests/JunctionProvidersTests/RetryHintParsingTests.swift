import Testing

import JunctionCore

@testable import JunctionProviders

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

    @Test func googleErrorDetails() throws {
        let details = try JSONValue.parse(
            #"""
            [
              {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [
                {"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                 "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "quotaValue": "15"},
                {"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_input_token_count",
                 "quotaId": "GenerateContentInputTokensPerModelPerMinute-FreeTier"}]},
              {"@type": "type.googleapis.com/google.rpc.Help", "links": []},
              {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}
            ]
            """#
        ).arrayValue ?? []
        let parsed = RetryHintParsing.googleErrorDetails(details)
        #expect(parsed.retryDelay == .seconds(37))
        #expect(parsed.violations.map(\.window) == [.short, .short])
        #expect(parsed.violations.first?.quotaValue == "15")
        #expect(!parsed.needsDailyReset)
        let daily = GoogleErrorDetails.Violation(quotaID: "GenerateRequestsPerDayPerProjectPerModel-FreeTier", quotaValue: "250")
        #expect(daily.window == .daily)
        #expect(GoogleErrorDetails(violations: [daily], retryDelay: .seconds(22)).needsDailyReset)
        // A zero limit is not refilled by waiting, whatever the window.
        let none = GoogleErrorDetails.Violation(quotaID: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", quotaValue: "0")
        #expect(GoogleErrorDetails(violations: [none]).needsDailyReset)
        #expect(GoogleErrorDetails.Violation(quotaID: "SomethingElse").window == .unknown)
        // The older ErrorInfo form names the quota in its metadata.
        let errorInfo = try JSONValue.parse(
            #"[{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED", "metadata": {"quota_limit": "GenerateContentRequestsPerMinutePerProjectPerRegion", "quota_limit_value": "60"}}]"#
        ).arrayValue ?? []
        let older = RetryHintParsing.googleErrorDetails(errorInfo)
        #expect(older.reason == "RATE_LIMIT_EXCEEDED")
        #expect(older.violations == [GoogleErrorDetails.Violation(quotaID: "GenerateContentRequestsPerMinutePerProjectPerRegion", quotaValue: "60")])
        // Unknown or untyped details are ignored.
        #expect(RetryHintParsing.googleErrorDetails([["retryDelay": "5s"]]) == GoogleErrorDetails())
    }

    @Test func goDurations() {
        #expect(RetryHintParsing.goDuration("6m0s") == .seconds(360))
        #expect(RetryHintParsing.goDuration("120ms") == .milliseconds(120))
        #expect(RetryHintParsing.goDuration("1h2m3.5s") == .milliseconds(3_723_500))
        #expect(RetryHintParsing.goDuration("20s") == .seconds(20))
        #expect(RetryHintParsing.goDuration("fast") == nil)
        #expect(RetryHintParsing.goDuration(" 20s\t") == .seconds(20))
        #expect(RetryHintParsing.goDuration("1500µs") == .milliseconds(2))
        #expect(RetryHintParsing.goDuration("2000000ns") == .milliseconds(2))
        #expect(RetryHintParsing.goDuration("3000us") == .milliseconds(3))
        #expect(RetryHintParsing.goDuration("") == nil)
        #expect(RetryHintParsing.goDuration("5") == nil)
        #expect(RetryHintParsing.goDuration("5x") == nil)
        #expect(RetryHintParsing.goDuration("s") == nil)
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
