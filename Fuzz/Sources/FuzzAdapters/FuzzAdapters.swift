import FuzzSupport
import JunctionCore
import JunctionProviders

/// Every provider adapter's stream decoder, and its completion and error parsers, on hostile provider bytes. The
/// first input byte picks the provider kind (every kind is reached: `ProviderKind.allCases` in turn) and the read
/// boundaries; the rest is the response body. Decoded events must not depend on the read boundaries.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAdapters(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let (selector, body) = FuzzInput(data, size).selectorAndPayload else { return 0 }
    let kinds = ProviderKind.allCases
    let kind = kinds[Int(selector) % kinds.count]
    let adapter = Adapters.adapter(for: kind)

    var whole = adapter.makeStreamDecoder()
    let expected = whole.feed(body)
    var split = adapter.makeStreamDecoder()
    var events: [StreamEvent] = []
    for chunk in chunked(body, seed: selector) { events += split.feed(chunk) }
    fuzzCheck(events == expected, "\(kind): events depend on read boundaries: \(events) vs \(expected)")
    fuzzCheck(split.malformedEvents == whole.malformedEvents, "\(kind): malformed count depends on read boundaries")

    // The same bytes as a whole answer and as an error answer: parsed or refused, never a crash.
    let statuses = [200, 400, 401, 429, 500, 503, 529]
    let status = statuses[Int(selector / UInt8(kinds.count)) % statuses.count]
    let head = HTTPResponseHead(status: status, headers: ["retry-after": "1", "content-type": "application/json"])
    if status == 200 {
        _ = adapter.parseCompletion(head, body: body, now: 1_700_000_000)
    } else {
        let error = adapter.parseError(head, body: body, now: 1_700_000_000)
        fuzzCheck(error.status == status, "\(kind): error status \(String(describing: error.status)) for \(status)")
    }
    _ = adapter.parseModels(body)
    _ = adapter.parseTokenCount(body)
    return 0
}
