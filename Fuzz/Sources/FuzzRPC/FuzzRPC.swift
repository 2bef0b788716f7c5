import FuzzSupport
import JunctionCore
import JunctionRPC

/// The line framer and the JSON-RPC decoder, as the daemon and `RPCClient` use them. The framer is checked
/// against a reference model (split at LF, drop one CR before it, lines over the limit are oversized with their
/// length) whatever the read boundaries are; every line is then decoded, and every request that decodes must
/// encode and decode back to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRPC(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let (selector, stream) = FuzzInput(data, size).selectorAndPayload else { return 0 }
    // Small limits, so that oversized lines and CRs at the limit are common.
    let maxLineBytes = Int(selector % 64) + 1
    let expected = referenceLines(stream, maxLineBytes: maxLineBytes)
    let framed = frame(chunked(stream, seed: selector), maxLineBytes: maxLineBytes)
    if framed != expected {
        let index = zip(framed, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? min(framed.count, expected.count)
        let got = index < framed.count ? "\(framed[index])" : "nothing"
        let want = index < expected.count ? "\(expected[index])" : "nothing"
        fuzzCheck(false, "line \(index): the framer gave \(got), the reference \(want) (max \(maxLineBytes) bytes)")
    }

    // The endless-line limit must stop a long line however it is split, and never crash.
    var strict = LineFramer(maxLineBytes: maxLineBytes, maxDiscardBytes: maxLineBytes * 2)
    var pending: [UInt8] = []
    strictLoop: for chunk in chunked(stream, seed: selector &+ 1) {
        pending += chunk
        do {
            while let line = try strict.nextLine(from: &pending) {
                if case .complete(let bytes) = line { fuzzCheck(bytes.count <= maxLineBytes, "line over the limit") }
            }
        } catch {
            break strictLoop
        }
    }

    for case .complete(let line) in framed { checkDecoding(line) }
    // The whole input as one line, too: the decoder sees far more than lines of at most 64 bytes.
    checkDecoding(stream)
    return 0
}

private func frame(_ chunks: [[UInt8]], maxLineBytes: Int) -> [LineFramer.Line] {
    // No discard limit within reach: the reference model has none.
    var framer = LineFramer(maxLineBytes: maxLineBytes, maxDiscardBytes: 1 << 30)
    var pending: [UInt8] = []
    var lines: [LineFramer.Line] = []
    for chunk in chunks {
        pending += chunk
        do {
            while let line = try framer.nextLine(from: &pending) { lines.append(line) }
        } catch {
            fuzzCheck(false, "endless line below the discard limit: \(error)")
        }
    }
    if let last = framer.lastLine(from: &pending) { lines.append(last) }
    fuzzCheck(pending.isEmpty, "\(pending.count) bytes left after the last line")
    return lines
}

private func referenceLines(_ stream: [UInt8], maxLineBytes: Int) -> [LineFramer.Line] {
    var segments = stream.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
    // After a final LF there is nothing; without one, the rest is a last line when it is not empty.
    if segments.last?.isEmpty == true { segments.removeLast() }
    return segments.map { segment in
        var line = segment
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return line.count > maxLineBytes ? .oversized(length: line.count) : .complete(line)
    }
}

private func checkDecoding(_ line: [UInt8]) {
    let inbound = line.withUnsafeBytes { RPCDecoder.decode($0, maxDepth: 16) }
    switch inbound {
    case .single(let request):
        checkRoundTrip(request)
    case .batch(let elements):
        fuzzCheck(!elements.isEmpty, "empty batch decoded")
        for case .success(let request) in elements { checkRoundTrip(request) }
    case .failure(let failure):
        fuzzCheck(!failure.error.message.isEmpty, "failure without a message")
    case .empty:
        let blank: Set<UInt8> = [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r")]
        fuzzCheck(line.allSatisfy(blank.contains), "non-blank line decoded as empty")
    }
}

private func checkRoundTrip(_ request: RPCRequest) {
    let bytes = RPCEncoder.line(RPCEncoder.request(id: request.id, method: request.method, params: request.params))
    fuzzCheck(bytes.last == UInt8(ascii: "\n") && !bytes.dropLast().contains(UInt8(ascii: "\n")), "not one line")
    let again = bytes.dropLast().withUnsafeBytes { RPCDecoder.decode($0, maxDepth: 16) }
    guard case .single(let decoded) = again else {
        fuzzCheck(false, "re-encoded request did not decode as one request: \(again)")
        return
    }
    fuzzCheck(decoded.id == request.id, "id changed: \(String(describing: request.id))")
    fuzzCheck(decoded.method == request.method, "method changed")
    fuzzCheck(decoded.params == request.params, "params changed")
}
