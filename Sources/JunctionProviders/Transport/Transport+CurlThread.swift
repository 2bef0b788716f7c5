#if canImport(Glibc)
import Glibc
#endif
import CCurl
import JunctionCore

/// The curl thread: the loop that waits on the epoll set, drives libcurl's socket API, starts and ends transfers,
/// wakes their consumers and keeps their clocks. Nothing here runs on any other thread.
extension Transport {

    func runLoop() {
        let userdata = Unmanaged.passUnretained(self).toOpaque()
        _ = junction_curl_multi_setopt_socket_function(self.multi, curlSocketCallback)
        _ = junction_curl_multi_setopt_pointer(self.multi, CURLMOPT_SOCKETDATA, userdata)
        _ = junction_curl_multi_setopt_timer_function(self.multi, curlTimerCallback)
        _ = junction_curl_multi_setopt_pointer(self.multi, CURLMOPT_TIMERDATA, userdata)
        var running: Int32 = 0
        var fds = [Int32](repeating: 0, count: 256)
        var flags = [Int32](repeating: 0, count: 256)
        while true {
            let (pending, stop) = self.lock.withLock { () -> ([Command], Bool) in
                defer { self.commands.removeAll(keepingCapacity: true) }
                return (self.commands, self.stopping)
            }
            if stop { break }
            var added = false
            for command in pending {
                switch command {
                case .add(let transfer):
                    self.begin(transfer)
                    added = true
                case .cancel(let transfer): self.end(transfer, .failure(TransportError(.other, "cancelled")))
                case .probe(let reply):
                    reply.answer(true)
                case .resume(let transfer):
                    if let handle = transfer.curlHandle, transfer.curlPausedByUs, transfer.curlWantsResume() {
                        transfer.curlPausedByUs = false
                        transfer.curlLastActivity = .now
                        curl_easy_pause(handle, 0)  // CURLPAUSE_CONT
                    }
                }
            }
            if added {
                // New transfers: let libcurl start them (reuse a connection, send) before sleeping.
                self.curlTimerDeadline = nil
                curl_multi_socket_action(self.multi, CURL_SOCKET_TIMEOUT, 0, &running)
            }
            self.collectFinished()
            self.wakeConsumers()

            // Sleep until a socket is ready, libcurl's timer is due, or (with transfers running) the next check
            // of our own clocks.
            var wait = 10_000
            if let deadline = self.curlTimerDeadline {
                wait = max(0, Int((deadline - ContinuousClock.now).milliseconds))
            }
            if !self.active.isEmpty { wait = min(wait, 20) }
            let count = junction_epoll_wait(self.epollFD, &fds, &flags, 256, Int32(wait))
            for index in 0..<Int(max(count, 0)) {
                if fds[index] == self.wakeFD {
                    junction_eventfd_drain(self.wakeFD)
                    continue
                }
                var mask: Int32 = 0
                if flags[index] & 1 != 0 { mask |= Int32(CURL_CSELECT_IN) }
                if flags[index] & 2 != 0 { mask |= Int32(CURL_CSELECT_OUT) }
                if flags[index] & 4 != 0 { mask |= Int32(CURL_CSELECT_ERR) }
                curl_multi_socket_action(self.multi, fds[index], mask, &running)
            }
            if let deadline = self.curlTimerDeadline, deadline <= ContinuousClock.now {
                // libcurl's timer is due: it runs its timeouts and any work it deferred (a resumed transfer).
                self.curlTimerDeadline = nil
                curl_multi_socket_action(self.multi, CURL_SOCKET_TIMEOUT, 0, &running)
            }
            self.collectFinished()
            self.wakeConsumers()
            let now = ContinuousClock.now
            if now - self.lastDeadlineCheck >= .milliseconds(20) {
                self.lastDeadlineCheck = now
                self.enforceDeadlines(now: now)
            }
        }
        for transfer in Array(self.active.values) {
            self.end(transfer, .failure(TransportError(.other, "transport shut down")))
        }
        for handle in self.idleHandles { curl_easy_cleanup(handle) }
        self.idleHandles.removeAll()
        curl_multi_cleanup(self.multi)
    }

    /// libcurl's receive buffer for a stream (its default is 16 KiB). A stream's reads are an SSE event or a
    /// few, and a thousand held streams each keep their buffer for as long as they last.
    static let streamReceiveBufferBytes = 4 * 1024

    func begin(_ transfer: Transfer) {
        guard !transfer.isFinished else { return }
        // A stream gets a handle of its own, with a small receive buffer, and never passes it on: libcurl 7.88
        // allocates the buffer once per handle at its first transfer, and a reused handle whose size setting
        // differs from the buffer it already has corrupted the heap (seen under a flood). Unary requests reuse
        // pooled handles at the default size, which they never change.
        let streams = transfer.request.streamsBody
        let handle = streams ? curl_easy_init()! : self.idleHandles.popLast() ?? curl_easy_init()!
        transfer.curlHandle = handle
        transfer.curlStartedAt = .now
        transfer.curlLastActivity = .now
        let request = transfer.request
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(to: 0)
        transfer.curlErrorBuffer = errorBuffer
        transfer.curlWakeQueue = self.wakeQueue

        func long(_ option: CURLoption, _ value: Int) { _ = junction_curl_easy_setopt_long(handle, option, value) }
        func string(_ option: CURLoption, _ value: String) { _ = junction_curl_easy_setopt_string(handle, option, value) }

        string(CURLOPT_URL, request.url)
        long(CURLOPT_NOSIGNAL, 1)
        long(CURLOPT_TCP_KEEPALIVE, 1)
        long(CURLOPT_SSL_VERIFYPEER, 1)
        long(CURLOPT_SSL_VERIFYHOST, 2)
        // The floor only; libcurl still negotiates the newest version both sides speak.
        let tlsFloor = request.tlsMinVersion == .v1_3 ? CURL_SSLVERSION_TLSv1_3 : CURL_SSLVERSION_TLSv1_2
        long(CURLOPT_SSLVERSION, Int(tlsFloor))
        long(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        long(CURLOPT_PIPEWAIT, 1)
        if streams { long(CURLOPT_BUFFERSIZE, Self.streamReceiveBufferBytes) }
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
        curl_multi_add_handle(self.multi, handle)  // sets libcurl's timer to "now": the loop starts it at once
    }

    /// Wakes the consumers of the streams that received bytes since the last call.
    func wakeConsumers() {
        guard !self.wakeQueue.transfers.isEmpty else { return }
        for transfer in self.wakeQueue.transfers { transfer.curlWakeConsumer() }
        self.wakeQueue.transfers.removeAll(keepingCapacity: true)
    }

    func collectFinished() {
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

    func enforceDeadlines(now: ContinuousClock.Instant) {
        for transfer in Array(self.active.values) {
            let timeouts = transfer.request.timeouts
            if now - transfer.curlStartedAt > timeouts.overall {
                self.end(transfer, .failure(TransportError(.deadline, "no complete response within \(DurationText.format(timeouts.overall))")))
            } else if !transfer.curlHeadComplete, now - transfer.curlStartedAt > timeouts.firstByte {
                self.end(
                    transfer,
                    .failure(TransportError(.firstByteTimeout, "no response headers within \(DurationText.format(timeouts.firstByte))"))
                )
            } else if let firstToken = timeouts.firstToken, now - transfer.curlStartedAt > firstToken, !transfer.hasFirstToken {
                self.end(
                    transfer,
                    .failure(TransportError(.ttftTimeout, "no first token within \(DurationText.format(firstToken))"))
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
    func end(_ transfer: Transfer, _ outcome: Result<Void, TransportError>) {
        guard let handle = transfer.curlHandle, self.active.removeValue(forKey: handle) != nil else {
            transfer.curlFinish(outcome)
            return
        }
        curl_multi_remove_handle(self.multi, handle)
        if transfer.request.streamsBody {
            curl_easy_cleanup(handle)  // its connection stays in the multi handle's cache for the next request
        } else {
            curl_easy_reset(handle)
            self.idleHandles.append(handle)
        }
        transfer.curlHandle = nil
        curl_slist_free_all(transfer.curlHeaderList)
        transfer.curlHeaderList = nil
        transfer.curlErrorBuffer?.deallocate()
        transfer.curlErrorBuffer = nil
        transfer.curlFinish(outcome)
        Unmanaged.passUnretained(transfer).release()  // the retain taken for the callbacks in begin()
    }

    func describe(_ code: CURLcode, transfer: Transfer) -> TransportError {
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
