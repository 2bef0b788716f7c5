#if canImport(Glibc)
import Glibc
#endif
import CCurl
import JunctionCore

/// One HTTP exchange: the hand-over point between the curl thread (producer) and a Swift task (consumer).
///
/// Fields under `lock` are shared; the `curl*` fields belong to the curl thread alone. Body bytes wait here in a
/// bounded buffer: when it is full the write callback pauses the transfer, and the consumer unpauses it once it
/// has drained the buffer to the low watermark, so memory stays bounded however slow the consumer is.
final class Transfer: @unchecked Sendable {
    static let highWatermark = 256 * 1024
    static let lowWatermark = 64 * 1024

    let request: HTTPRequest
    private let lock = Lock()

    // Shared state, under `lock`.
    private var head: HTTPResponseHead?
    private var headDelivered = false
    private var chunks: [[UInt8]] = []
    private var bufferedBytes = 0
    private var paused = false
    private var result: Result<Void, TransportError>?
    private var firstTokenSeen = false
    private var waiter: CheckedContinuation<Void, Never>?

    // Curl thread only.
    var curlHandle: UnsafeMutableRawPointer?
    var curlHeaderList: UnsafeMutablePointer<curl_slist>?
    var curlErrorBuffer: UnsafeMutablePointer<CChar>?
    /// Where the socket opener writes errno when it cannot make a socket (0: it never failed).
    var curlSocketErrno: UnsafeMutablePointer<Int32>?
    /// Whether this transfer set its handle's receive-buffer size (see `EasyHandlePool`).
    var curlResizedBuffer = false
    var curlStartedAt: ContinuousClock.Instant = .now
    var curlLastActivity: ContinuousClock.Instant = .now
    var curlHeadComplete = false
    var curlStatus = 0
    var curlHeaders: [String: String] = [:]
    var curlHeaderBytes = 0
    var curlReceivedBytes = 0
    var curlFailure: TransportError?
    var curlPausedByUs = false
    /// Where a streamed transfer notes that its consumer has news; the transport wakes it once libcurl has
    /// delivered all it read (set in `Transport.begin`).
    var curlWakeQueue: ConsumerWakeQueue?
    /// True while this transfer is in `curlWakeQueue`.
    var curlWakeQueued = false

    init(request: HTTPRequest) {
        self.request = request
    }

    // MARK: - Curl thread side

    /// Body bytes from libcurl. Returns what to tell libcurl: the byte count, `CURL_WRITEFUNC_PAUSE`, or 0 to
    /// abort (body over its limit).
    func curlDeliver(_ bytes: UnsafeRawBufferPointer) -> Int {
        self.curlLastActivity = .now
        if self.curlReceivedBytes + bytes.count > self.request.maxResponseBytes {
            self.curlFailure = TransportError(
                .bodyTooLarge,
                "response body exceeds \(self.request.maxResponseBytes) bytes"
            )
            return 0
        }
        let streams = self.request.streamsBody
        let taken = self.lock.withLock { () -> Bool in
            if streams, self.bufferedBytes >= Self.highWatermark {
                self.paused = true
                return false
            }
            self.chunks.append(Array(bytes))
            self.bufferedBytes += bytes.count
            return true
        }
        guard taken else {
            // libcurl keeps these bytes and delivers them again after the unpause: they were not taken.
            self.curlPausedByUs = true
            return Int(CURL_WRITEFUNC_PAUSE)
        }
        self.curlReceivedBytes += bytes.count
        // A whole-body transfer wakes its consumer once, at the end. A stream's consumer is woken once libcurl
        // has delivered everything it read: libcurl calls back once per HTTP chunk (an SSE event each), and
        // waking at the first made the consumer take a few events, answer, and wait again, per handful of tokens.
        if streams, !self.curlWakeQueued, let queue = self.curlWakeQueue {
            self.curlWakeQueued = true
            queue.transfers.append(self)
        }
        return bytes.count
    }

    /// Wakes the consumer, if it waits, for the bytes delivered since it last looked.
    func curlWakeConsumer() {
        self.curlWakeQueued = false
        let waiter = self.lock.withLock { () -> CheckedContinuation<Void, Never>? in
            defer { self.waiter = nil }
            return self.waiter
        }
        waiter?.resume()
    }

    /// One header line from libcurl (status line, header, or the blank line that ends them). Parsed as bytes:
    /// this runs for every header of every response.
    func curlHeaderLine(_ bytes: UnsafeRawBufferPointer) -> Int {
        self.curlHeaderBytes += bytes.count
        if self.curlHeaderBytes > 256 * 1024 {
            self.curlFailure = TransportError(.other, "response headers exceed 256 KiB")
            return 0
        }
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D { end -= 1 }
        if end == 0 {
            if self.curlStatus >= 200 { self.publishHead() }
            return bytes.count
        }
        if end > 5, bytes[0] == UInt8(ascii: "H"), bytes[1] == UInt8(ascii: "T"), bytes[2] == UInt8(ascii: "T"),
            bytes[3] == UInt8(ascii: "P"), bytes[4] == UInt8(ascii: "/")
        {
            // A new status line (after a 100 Continue, or a proxy's CONNECT answer) starts a new header block.
            var index = 5
            while index < end, bytes[index] != UInt8(ascii: " ") { index += 1 }
            var status = 0
            index += 1
            while index < end, bytes[index] >= 48, bytes[index] <= 57 {
                status = status * 10 + Int(bytes[index] - 48)
                index += 1
            }
            self.curlStatus = status
            self.curlHeaders = [:]
            return bytes.count
        }
        guard let colon = (0..<end).first(where: { bytes[$0] == UInt8(ascii: ":") }) else { return bytes.count }
        var valueStart = colon + 1
        while valueStart < end, bytes[valueStart] == UInt8(ascii: " ") || bytes[valueStart] == UInt8(ascii: "\t") {
            valueStart += 1
        }
        let name = String(unsafeUninitializedCapacity: colon) { buffer in
            for index in 0..<colon {
                let byte = bytes[index]
                buffer[index] = byte >= 65 && byte <= 90 ? byte + 32 : byte
            }
            return colon
        }
        self.curlHeaders[name] = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[valueStart..<end]), as: UTF8.self)
        return bytes.count
    }

    /// Makes the head available. The consumer is not woken for it alone: body bytes or the end follow at once
    /// in nearly every response, and one wake-up instead of two matters on the hot path.
    private func publishHead() {
        guard !self.curlHeadComplete else { return }
        self.curlHeadComplete = true
        let head = HTTPResponseHead(status: self.curlStatus, headers: self.curlHeaders)
        self.lock.withLock { self.head = head }
    }

    /// Ends the transfer with its outcome; wakes the consumer.
    func curlFinish(_ outcome: Result<Void, TransportError>) {
        let waiter = self.lock.withLock { () -> CheckedContinuation<Void, Never>? in
            if self.result == nil { self.result = outcome }
            defer { self.waiter = nil }
            return self.waiter
        }
        waiter?.resume()
    }

    /// True when the consumer has drained enough for a paused transfer to continue.
    func curlWantsResume() -> Bool {
        guard self.curlPausedByUs else { return false }
        return self.lock.withLock { !self.paused }
    }

    // MARK: - Consumer side

    enum Next {
        case head(HTTPResponseHead)
        case body([UInt8])
        case finished
        case failed(TransportError)
        /// Nothing yet; wait and ask again.
        case wait
    }

    /// Takes what is ready. `resumeProducer` is set when the transfer should be unpaused.
    func take(resumeProducer: inout Bool) -> Next {
        self.lock.withLock {
            if !self.headDelivered, let head = self.head {
                self.headDelivered = true
                return .head(head)
            }
            if !self.chunks.isEmpty {
                let bytes: [UInt8]
                if self.chunks.count == 1 {
                    bytes = self.chunks.removeFirst()
                } else {
                    bytes = Array(self.chunks.joined())
                    self.chunks.removeAll(keepingCapacity: true)
                }
                self.bufferedBytes -= bytes.count
                if self.paused, self.bufferedBytes <= Self.lowWatermark {
                    self.paused = false
                    resumeProducer = true
                }
                return .body(bytes)
            }
            switch self.result {
            case .success?: return .finished
            case .failure(let error)?: return .failed(error)
            case nil: return .wait
            }
        }
    }

    /// Suspends until the producer has something new (or the transfer ended).
    func waitForProgress() async {
        let streams = self.request.streamsBody
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = self.lock.withLock { () -> Bool in
                if self.result != nil || (streams && (!self.headDelivered && self.head != nil || !self.chunks.isEmpty)) {
                    return true
                }
                self.waiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }

    var isFinished: Bool { self.lock.withLock { self.result != nil } }

    /// True while the consumer is suspended in `waitForProgress`.
    var hasWaiter: Bool { self.lock.withLock { self.waiter != nil } }

    /// The consumer found the first token: the first-token clock stops.
    func markFirstToken() {
        self.lock.withLock { self.firstTokenSeen = true }
    }

    var hasFirstToken: Bool { self.lock.withLock { self.firstTokenSeen } }

    /// Body bytes waiting for the consumer (bounded by the high watermark plus one libcurl write).
    var waitingBytes: Int { self.lock.withLock { self.bufferedBytes } }
}
