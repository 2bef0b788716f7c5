import JunctionCore
import Testing

@testable import JunctionDaemon

@Suite("Usage times and money")
struct UsageTimeTests {
    @Test func dayNumbersAndDatesRoundTrip() {
        // Every day from 1969 to 2101, leap days and century years included.
        for day in Int64(-365)...Int64(48_000) {
            let date = UsageTime.civil(day: day)
            let back = CivilDate.daysSinceEpoch(year: Int(date.year), month: Int(date.month), day: Int(date.day))
            #expect(Int64(back) == day)
        }
        #expect(UsageTime.dayText(0) == "1970-01-01")
        #expect(UsageTime.dayText(11_016) == "2000-02-29")
        #expect(UsageTime.day(of: "2026-11-20") == 20_777)
        #expect(UsageTime.day(of: "2026-02-29") == nil)
        #expect(UsageTime.day(of: "2026-11-20T00") == nil)
        #expect(UsageTime.hour(of: "2026-11-20T13:00") == Int64(20_777 * 24 + 13))
        #expect(UsageTime.hour(of: "2026-11-20T13") == Int64(20_777 * 24 + 13))
        #expect(UsageTime.hour(of: "2026-11-20T24") == nil)
        #expect(UsageTime.hourText(20_777 * 24 + 13) == "2026-11-20T13:00")
    }

    @Test func instantsAreRFC3339InUTC() {
        #expect(UsageTime.rfc3339(milliseconds: 0) == "1970-01-01T00:00:00Z")
        #expect(UsageTime.rfc3339(milliseconds: 1_795_165_923_120) == "2026-11-20T09:12:03.120Z")
        #expect(UsageTime.rfc3339(milliseconds: 1_795_165_923_000) == "2026-11-20T09:12:03Z")
        // What it prints, RFC3339 reads back.
        #expect(RFC3339.parse(UsageTime.rfc3339(milliseconds: 1_795_165_923_120)) == 1_795_165_923.12)
    }

    @Test func moneyIsTheExactDecimalOfMicroUSD() {
        #expect(UsageTime.usd(microUSD: 0) == "0.000000")
        #expect(UsageTime.usd(microUSD: 378) == "0.000378")
        #expect(UsageTime.usd(microUSD: 1_234_567) == "1.234567")
        #expect(UsageTime.usd(microUSD: 9_007_199_254_740_993) == "9007199254.740993")  // past a double's precision
        #expect(UsageTime.usd(microUSD: -1_500_000) == "-1.500000")
        #expect(UsageJSON.usd(nil) == .null)
    }

    @Test func exportCursorsAreOpaqueButStrict() {
        #expect(LedgerExportCursor("1795165923120-8812") == LedgerExportCursor(timeMs: 1_795_165_923_120, rowID: 8_812))
        for bad in ["", "12", "a-1", "1-", "-1-2", "1-2-3"] { #expect(LedgerExportCursor(bad) == nil, "\(bad)") }
    }
}
