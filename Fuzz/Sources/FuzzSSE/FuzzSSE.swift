import FuzzSupport
import JunctionProviders

/// The SSE parser: the events (and comments) of a stream must not depend on how its bytes are split into reads,
/// and an event's data never holds a line terminator the stream did not put there as a `data:` line break.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSSE(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let (selector, stream) = FuzzInput(data, size).selectorAndPayload else { return 0 }
    var whole = SSEParser()
    let expected = whole.feed(stream)

    var split = SSEParser()
    var events: [SSEEvent] = []
    for chunk in chunked(stream, seed: selector) { events += split.feed(chunk) }
    fuzzCheck(events == expected, "events depend on read boundaries: \(events) vs \(expected)")
    fuzzCheck(split.comments == whole.comments, "comment count depends on read boundaries")

    var byteByByte = SSEParser()
    var single: [SSEEvent] = []
    for byte in stream { single += byteByByte.feed(CollectionOfOne(byte)) }
    fuzzCheck(single == expected, "events differ when fed one byte at a time")

    for event in expected {
        fuzzCheck(!event.data.utf8.contains(0x0D), "CR inside event data")
        fuzzCheck(event.name.map { !$0.utf8.contains(0x0A) && !$0.utf8.contains(0x0D) } ?? true, "terminator in name")
    }
    return 0
}
