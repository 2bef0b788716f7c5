#if canImport(Glibc)
import Glibc
#endif
import CCurl
import JunctionCore

/// The curl thread: the loop that waits on the epoll set, drives libcurl's socket API, starts and ends transfers,
/// wakes their consumers and keeps their clocks. Nothing here runs on any other thread.
extension Transport {

    func runLoop() {
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
        for handle in self.handles.drain() { curl_easy_cleanup(handle) }
        curl_multi_cleanup(self.multi)
    }

    /// libcurl's receive buffer for a stream (its default is 16 KiB). A stream's reads are an SSE event or a
    /// few, and a thousand held streams each keep their buffer for as long as they last. Set only on a handle made
    /// for the stream: see `EasyHandlePool` for libcurl 7.88's bug with sizes on reused handles.
    static let streamReceiveBufferBytes = 4 * 1024

    func begin(_ transfer: Transfer) {
        guard !transfer.isFinished else { return }
        if let failure = self.setupFailure {
            transfer.curlFinish(.failure(failure))
            return
        }
        let streams = transfer.request.streamsBody
        let handle: UnsafeMutableRawPointer
        var mayResizeBuffer = false
        switch self.handles.checkout(streams: streams) {
        case .reuse(let pooled):
            handle = pooled
        case .create(let resizable):
            guard let created = curl_easy_init() else {
                transfer.curlFinish(.failure(TransportError(.other, "curl_easy_init failed (out of memory)")))
                return
            }
            handle = created
            mayResizeBuffer = resizable
        }
        transfer.curlHandle = handle
        transfer.curlStartedAt = .now
        transfer.curlLastActivity = .now
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(to: 0)
        transfer.curlErrorBuffer = errorBuffer
        let socketErrno = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        socketErrno.initialize(to: 0)
        transfer.curlSocketErrno = socketErrno
        transfer.curlWakeQueue = self.wakeQueue
        var headers: UnsafeMutablePointer<curl_slist>?
        for header in transfer.request.headers {
            headers = curl_slist_append(headers, "\(header.name): \(header.value)")
        }
        headers = curl_slist_append(headers, "Expect:")
        transfer.curlHeaderList = headers

        let userdata = Unmanaged.passRetained(transfer).toOpaque()  // released in end()
        self.active[handle] = transfer
        var options = CurlOptions(handle: handle)
        self.configure(&options, transfer, resizeBuffer: mayResizeBuffer, userdata: userdata)
        if let failure = options.failure {
            // Never started: the handle is in an unknown state (end() discards it) and the caller hears why.
            self.configuration.incidents?(.optionRefused(failure.detail))
            self.end(transfer, .failure(failure), refusedOption: true)
            return
        }
        let added = curl_multi_add_handle(self.multi, handle)  // sets libcurl's timer to "now": the loop starts it
        if added != CURLM_OK {
            let reason = String(cString: curl_multi_strerror(added))
            let detail = "curl_multi_add_handle failed: \(reason) (\(added.rawValue))"
            self.configuration.incidents?(.optionRefused(detail))
            self.end(transfer, .failure(TransportError(.other, detail)), refusedOption: true)
        }
    }

    /// Every option of one transfer, each checked (`options.failure` holds the first refusal).
    private func configure(
        _ options: inout CurlOptions,
        _ transfer: Transfer,
        resizeBuffer: Bool,
        userdata: UnsafeMutableRawPointer
    ) {
        let request = transfer.request
        options.string(CURLOPT_URL, request.url)
        options.long(CURLOPT_NOSIGNAL, 1)
        options.long(CURLOPT_TCP_KEEPALIVE, 1)
        options.long(CURLOPT_SSL_VERIFYPEER, 1)
        options.long(CURLOPT_SSL_VERIFYHOST, 2)
        // The floor only; libcurl still negotiates the newest version both sides speak.
        let tlsFloor = request.tlsMinVersion == .v1_3 ? CURL_SSLVERSION_TLSv1_3 : CURL_SSLVERSION_TLSv1_2
        options.long(CURLOPT_SSLVERSION, Int(tlsFloor))
        options.long(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        options.long(CURLOPT_PIPEWAIT, 1)
        if resizeBuffer {
            options.long(CURLOPT_BUFFERSIZE, Self.streamReceiveBufferBytes)
            transfer.curlResizedBuffer = true
        }
        options.long(CURLOPT_FOLLOWLOCATION, 0)
        options.long(CURLOPT_CONNECTTIMEOUT_MS, Int(request.timeouts.connect.milliseconds))
        options.long(CURLOPT_TIMEOUT_MS, 0)  // the other clocks are kept in enforceDeadlines, each with its own failure
        options.long(CURLOPT_MAXAGE_CONN, max(1, Int(self.configuration.idleConnectionLifetime.milliseconds / 1000)))
        options.string(CURLOPT_PROXY, request.proxy ?? "")  // "": direct, ignoring the environment's proxy variables
        if let noProxy = request.noProxy { options.string(CURLOPT_NOPROXY, noProxy) }
        options.pointer(CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(transfer.curlErrorBuffer))
        if let socketErrno = transfer.curlSocketErrno { options.openSocket(reportingInto: socketErrno) }
        options.list(CURLOPT_HTTPHEADER, transfer.curlHeaderList)
        if request.method == "GET" {
            options.long(CURLOPT_HTTPGET, 1)
        } else {
            options.string(CURLOPT_CUSTOMREQUEST, request.method)
            let body = request.body ?? []
            options.offset(CURLOPT_POSTFIELDSIZE_LARGE, body.count)
            body.withUnsafeBufferPointer { buffer in
                // COPYPOSTFIELDS copies: the bytes need not outlive this call.
                options.pointer(
                    CURLOPT_COPYPOSTFIELDS,
                    UnsafeMutableRawPointer(mutating: buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!)
                )
            }
        }
        options.callback(CURLOPT_WRITEFUNCTION, curlWriteCallback)
        options.pointer(CURLOPT_WRITEDATA, userdata)
        options.callback(CURLOPT_HEADERFUNCTION, curlHeaderCallback)
        options.pointer(CURLOPT_HEADERDATA, userdata)
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

    /// Removes a transfer from the multi handle and reports its outcome. Safe to call twice. `refusedOption`: the
    /// transfer never started because libcurl refused one of its options (the handle is not reused).
    func end(_ transfer: Transfer, _ outcome: Result<Void, TransportError>, refusedOption: Bool = false) {
        guard let handle = transfer.curlHandle, self.active.removeValue(forKey: handle) != nil else {
            transfer.curlFinish(outcome)
            return
        }
        curl_multi_remove_handle(self.multi, handle)  // harmless for a handle that was never added
        let checkin = self.handles.checkin(
            handle, resizedBuffer: transfer.curlResizedBuffer, refusedOption: refusedOption
        )
        switch checkin {
        case .keep: curl_easy_reset(handle)
        case .discard: curl_easy_cleanup(handle)  // its connection stays in the multi handle's cache
        }
        transfer.curlHandle = nil
        curl_slist_free_all(transfer.curlHeaderList)
        transfer.curlHeaderList = nil
        transfer.curlErrorBuffer?.deallocate()
        transfer.curlErrorBuffer = nil
        transfer.curlSocketErrno?.deallocate()
        transfer.curlSocketErrno = nil
        transfer.curlFinish(outcome)
        Unmanaged.passUnretained(transfer).release()  // the retain taken for the callbacks in begin()
    }

    func describe(_ code: CURLcode, transfer: Transfer) -> TransportError {
        if let failure = transfer.curlFailure { return failure }
        let detail = transfer.curlErrorBuffer.map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
            ?? String(cString: curl_easy_strerror(code))
        if let shortage = self.fileDescriptorShortage(code, transfer: transfer) {
            let failure = TransportError(
                .outOfFileDescriptors, "out of file descriptors (\(shortage)) (\(transfer.request.redactedURL))"
            )
            self.configuration.incidents?(.outOfFileDescriptors(failure.detail))
            return failure
        }
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

    /// Why a failed connection was the daemon's own shortage of file descriptors, or nil when it was not. The socket
    /// opener saw EMFILE/ENFILE; or (the threaded resolver's socket pair, which nothing reports) a resolve or
    /// connect failed while no descriptor can be opened right now.
    private func fileDescriptorShortage(_ code: CURLcode, transfer: Transfer) -> String? {
        guard code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY
        else { return nil }
        let seen = transfer.curlSocketErrno?.pointee ?? 0
        if seen == EMFILE || seen == ENFILE { return String(cString: strerror(seen)) }
        let probe = open("/dev/null", O_RDONLY | O_CLOEXEC)
        if probe >= 0 {
            close(probe)
            return nil
        }
        let error = errno
        return error == EMFILE || error == ENFILE ? String(cString: strerror(error)) : nil
    }
}
