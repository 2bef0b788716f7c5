#if canImport(Glibc)
import Glibc
#endif
import CCurl
import JunctionCore

/// The only code that calls libcurl: one multi handle driven by one dedicated thread.
///
/// Any task may submit a request; the response arrives as an `HTTPResponseStream`. Other threads never touch a
/// curl object: they queue commands under a lock and wake the thread with `curl_multi_wakeup`. Connections are
/// reused and HTTP/2 streams multiplexed across all requests to a host.
public final class Transport: @unchecked Sendable {
    public struct Configuration: Sendable {
        /// Connections per host (HTTP/1.1 needs one per concurrent stream; HTTP/2 multiplexes).
        public var maxConnectionsPerHost: Int
        public var maxTotalConnections: Int

        public init(maxConnectionsPerHost: Int = 512, maxTotalConnections: Int = 2048) {
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.maxTotalConnections = maxTotalConnections
        }
    }

    private enum Command {
        case add(Transfer)
        case cancel(Transfer)
        case resume(Transfer)
    }

    private let multi: UnsafeMutableRawPointer
    private let lock = Lock()
    private var commands: [Command] = []
    private var stopping = false
    private var thread: pthread_t?
    // Curl thread only.
    private var active: [UnsafeMutableRawPointer: Transfer] = [:]
    private var idleHandles: [UnsafeMutableRawPointer] = []
    /// When the transfers' clocks were last checked; checking is O(transfers), so it runs at most every 20 ms
    /// rather than on every wake-up (which, with a thousand streams, is thousands of times a second).
    private var lastDeadlineCheck = ContinuousClock.now

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_ALL)) }()

    public init(configuration: Configuration = Configuration()) {
        _ = Self.globalInit
        self.multi = curl_multi_init()
        _ = junction_curl_multi_setopt_long(self.multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        _ = junction_curl_multi_setopt_long(self.multi, CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maxConnectionsPerHost)
        _ = junction_curl_multi_setopt_long(self.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, configuration.maxTotalConnections)
    }

    /// Starts the curl thread. Call once, before the first request.
    public func start() {
        let box = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        // The closure captures nothing: the transport travels through the argument pointer.
        let result = pthread_create(&thread, nil, { argument in
            let transport = Unmanaged<Transport>.fromOpaque(argument!).takeRetainedValue()
            transport.runLoop()
            return nil
        }, box)
        precondition(result == 0, "cannot start the curl thread: \(result)")
        self.thread = thread
    }

    /// Stops the thread; transfers still running fail. Waits for the thread to end.
    public func shutdown() {
        self.lock.withLock {
            self.stopping = true
            curl_multi_wakeup(self.multi)
        }
        if let thread = self.thread {
            pthread_join(thread, nil)
            self.thread = nil
        }
    }

    /// Sends `request`; the response streams from the returned sequence. Iterating it from a task that gets
    /// cancelled, or dropping it unfinished, cancels the transfer.
    public func execute(_ request: HTTPRequest) -> HTTPResponseStream {
        let transfer = Transfer(request: request)
        self.send(.add(transfer))
        return HTTPResponseStream(transfer: transfer, transport: self)
    }

    func cancel(_ transfer: Transfer) {
        self.send(.cancel(transfer))
    }

    func resume(_ transfer: Transfer) {
        self.send(.resume(transfer))
    }

    private func send(_ command: Command) {
        self.lock.withLock {
            self.commands.append(command)
            // Under the lock, so that shutdown cannot free the multi handle in between.
            if !self.stopping { curl_multi_wakeup(self.multi) }
        }
    }

    // MARK: - The curl thread

    private func runLoop() {
        var running: Int32 = 0
        while true {
            let (pending, stop) = self.lock.withLock { () -> ([Command], Bool) in
                defer { self.commands.removeAll(keepingCapacity: true) }
                return (self.commands, self.stopping)
            }
            if stop { break }
            for command in pending {
                switch command {
                case .add(let transfer): self.begin(transfer)
                case .cancel(let transfer): self.end(transfer, .failure(TransportError(.other, "cancelled")))
                case .resume(let transfer):
                    if let handle = transfer.curlHandle, transfer.curlPausedByUs, transfer.curlWantsResume() {
                        transfer.curlPausedByUs = false
                        transfer.curlLastActivity = .now
                        curl_easy_pause(handle, 0)  // CURLPAUSE_CONT
                    }
                }
            }
            curl_multi_perform(self.multi, &running)
            self.collectFinished()
            let now = ContinuousClock.now
            if now - self.lastDeadlineCheck >= .milliseconds(20) {
                self.lastDeadlineCheck = now
                self.enforceDeadlines(now: now)
            }
            var timeout: Int = -1
            curl_multi_timeout(self.multi, &timeout)
            let wait = self.active.isEmpty ? 10_000 : Int32(clamping: timeout < 0 ? 20 : min(timeout, 20))
            curl_multi_poll(self.multi, nil, 0, wait, nil)
        }
        for transfer in Array(self.active.values) {
            self.end(transfer, .failure(TransportError(.other, "transport shut down")))
        }
        for handle in self.idleHandles { curl_easy_cleanup(handle) }
        self.idleHandles.removeAll()
        curl_multi_cleanup(self.multi)
    }

    private func begin(_ transfer: Transfer) {
        guard !transfer.isFinished else { return }
        let handle = self.idleHandles.popLast() ?? curl_easy_init()!
        transfer.curlHandle = handle
        transfer.curlStartedAt = .now
        transfer.curlLastActivity = .now
        let request = transfer.request
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(to: 0)
        transfer.curlErrorBuffer = errorBuffer

        func long(_ option: CURLoption, _ value: Int) { _ = junction_curl_easy_setopt_long(handle, option, value) }
        func string(_ option: CURLoption, _ value: String) { _ = junction_curl_easy_setopt_string(handle, option, value) }

        string(CURLOPT_URL, request.url)
        long(CURLOPT_NOSIGNAL, 1)
        long(CURLOPT_TCP_KEEPALIVE, 1)
        long(CURLOPT_SSL_VERIFYPEER, 1)
        long(CURLOPT_SSL_VERIFYHOST, 2)
        long(CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2))
        long(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        long(CURLOPT_PIPEWAIT, 1)
        // LLM responses arrive in small pieces: an 8 KiB receive buffer (default 16 KiB) halves the memory each
        // of a thousand concurrent streams holds, at no cost in throughput.
        long(CURLOPT_BUFFERSIZE, 8 * 1024)
        long(CURLOPT_FOLLOWLOCATION, 0)
        long(CURLOPT_CONNECTTIMEOUT_MS, Int(request.timeouts.connect.milliseconds))
        long(CURLOPT_TIMEOUT_MS, 0)  // the other clocks are kept in enforceDeadlines, each with its own failure
        string(CURLOPT_PROXY, request.proxy ?? "")  // "": direct, ignoring the environment's proxy variables
        if let noProxy = request.noProxy { string(CURLOPT_NOPROXY, noProxy) }
        _ = junction_curl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)

        var headers: UnsafeMutablePointer<curl_slist>?
        for header in request.headers { headers = curl_slist_append(headers, "\(header.name): \(header.value)") }
        headers = curl_slist_append(headers, "Expect:")
        transfer.curlHeaderList = headers
        _ = junction_curl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headers)

        if request.method == "GET" {
            long(CURLOPT_HTTPGET, 1)
        } else {
            string(CURLOPT_CUSTOMREQUEST, request.method)
            let body = request.body ?? []
            _ = junction_curl_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            body.withUnsafeBufferPointer { buffer in
                // COPYPOSTFIELDS copies: the bytes need not outlive this call.
                _ = junction_curl_easy_setopt_pointer(
                    handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!))
            }
        }

        let userdata = Unmanaged.passRetained(transfer).toOpaque()  // released in end()
        _ = junction_curl_easy_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION, curlWriteCallback)
        _ = junction_curl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, userdata)
        _ = junction_curl_easy_setopt_write_callback(handle, CURLOPT_HEADERFUNCTION, curlHeaderCallback)
        _ = junction_curl_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, userdata)
        self.active[handle] = transfer
        curl_multi_add_handle(self.multi, handle)
    }

    private func collectFinished() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(self.multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                let transfer = self.active[handle]
            else { continue }
            // Read the result before the handle is removed: the message is invalid afterwards.
            let code = message.pointee.data.result
            if code == CURLE_OK {
                if transfer.curlHeadComplete {
                    self.end(transfer, .success(()))
                } else {
                    self.end(transfer, .failure(TransportError(.connectionReset, "connection closed before the response headers")))
                }
            } else {
                self.end(transfer, .failure(self.describe(code, transfer: transfer)))
            }
        }
    }

    private func enforceDeadlines(now: ContinuousClock.Instant) {
        for transfer in Array(self.active.values) {
            let timeouts = transfer.request.timeouts
            if now - transfer.curlStartedAt > timeouts.overall {
                self.end(transfer, .failure(TransportError(.deadline, "no complete response within \(DurationText.format(timeouts.overall))")))
            } else if !transfer.curlHeadComplete, now - transfer.curlStartedAt > timeouts.firstByte {
                self.end(
                    transfer,
                    .failure(TransportError(.firstByteTimeout, "no response headers within \(DurationText.format(timeouts.firstByte))"))
                )
            } else if transfer.curlHeadComplete, !transfer.curlPausedByUs, now - transfer.curlLastActivity > timeouts.idle {
                self.end(
                    transfer,
                    .failure(TransportError(.idleTimeout, "no data for \(DurationText.format(timeouts.idle))"))
                )
            }
        }
    }

    /// Removes a transfer from the multi handle and reports its outcome. Safe to call twice.
    private func end(_ transfer: Transfer, _ outcome: Result<Void, TransportError>) {
        guard let handle = transfer.curlHandle, self.active.removeValue(forKey: handle) != nil else {
            transfer.curlFinish(outcome)
            return
        }
        curl_multi_remove_handle(self.multi, handle)
        curl_easy_reset(handle)
        self.idleHandles.append(handle)
        transfer.curlHandle = nil
        curl_slist_free_all(transfer.curlHeaderList)
        transfer.curlHeaderList = nil
        transfer.curlErrorBuffer?.deallocate()
        transfer.curlErrorBuffer = nil
        transfer.curlFinish(outcome)
        Unmanaged.passUnretained(transfer).release()  // the retain taken for the callbacks in begin()
    }

    private func describe(_ code: CURLcode, transfer: Transfer) -> TransportError {
        if let failure = transfer.curlFailure { return failure }
        let detail = transfer.curlErrorBuffer.map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
            ?? String(cString: curl_easy_strerror(code))
        let failure: TransportFailure =
            switch code {
            case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: .dns
            case CURLE_COULDNT_CONNECT: .connectRefused
            case CURLE_OPERATION_TIMEDOUT: transfer.curlHeadComplete ? .idleTimeout : .connectTimeout
            case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
                CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR:
                .tls
            case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2,
                CURLE_HTTP2_STREAM:
                .connectionReset
            default: .other
            }
        return TransportError(failure, "\(detail) (\(transfer.request.redactedURL))")
    }
}

private let curlWriteCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    pointer, size, count, userdata in
    let transfer = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
    return transfer.curlDeliver(UnsafeRawBufferPointer(start: pointer, count: size * count))
}

private let curlHeaderCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    pointer, size, count, userdata in
    let transfer = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
    return transfer.curlHeaderLine(UnsafeRawBufferPointer(start: pointer, count: size * count))
}
