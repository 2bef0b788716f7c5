#if canImport(Glibc)
import Glibc
#endif
import CCurl
import JunctionCore

// libcurl's C callbacks (capture-free, the transfer or transport passed as userdata) and the small types the curl
// thread shares with other threads.

let curlWriteCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    pointer, size, count, userdata in
    let transfer = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
    return transfer.curlDeliver(UnsafeRawBufferPointer(start: pointer, count: size * count))
}

let curlHeaderCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    pointer, size, count, userdata in
    let transfer = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
    return transfer.curlHeaderLine(UnsafeRawBufferPointer(start: pointer, count: size * count))
}

/// libcurl asks to watch (or stop watching) a socket.
let curlSocketCallback: @convention(c) (UnsafeMutableRawPointer?, curl_socket_t, Int32, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int32 = {
    _, socket, what, userdata, _ in
    let transport = Unmanaged<Transport>.fromOpaque(userdata!).takeUnretainedValue()
    transport.watch(socket: socket, what: what)
    return 0
}

/// libcurl asks to be called back after `timeout` milliseconds (-1: no timer).
let curlTimerCallback: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Int32 = {
    _, timeout, userdata in
    let transport = Unmanaged<Transport>.fromOpaque(userdata!).takeUnretainedValue()
    transport.setTimer(timeout)
    return 0
}

extension Transport {
    func watch(socket: Int32, what: Int32) {
        if what == Int32(CURL_POLL_REMOVE) {
            if self.watched.remove(socket) != nil { _ = junction_epoll_control(self.epollFD, EPOLL_CTL_DEL, socket, 0, 0) }
            return
        }
        let read: Int32 = what & Int32(CURL_POLL_IN) != 0 ? 1 : 0
        let write: Int32 = what & Int32(CURL_POLL_OUT) != 0 ? 1 : 0
        // A socket libcurl closed without telling us leaves the epoll set by itself, and its number may come
        // back for a new socket: whatever we remember, fall back from MOD to ADD and the other way round.
        let first = self.watched.contains(socket) ? EPOLL_CTL_MOD : EPOLL_CTL_ADD
        if junction_epoll_control(self.epollFD, first, socket, read, write) != 0 {
            _ = junction_epoll_control(self.epollFD, first == EPOLL_CTL_MOD ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, socket, read, write)
        }
        self.watched.insert(socket)
    }

    func setTimer(_ milliseconds: Int) {
        self.curlTimerDeadline = milliseconds < 0 ? nil : .now + .milliseconds(milliseconds)
    }
}

/// The streams whose consumers have news, collected during one libcurl call. Curl thread only.
final class ConsumerWakeQueue {
    var transfers: [Transfer] = []
}

/// The answer to one liveness probe: resumed exactly once, by the curl thread or by cancellation.
final class LivenessReply: @unchecked Sendable {
    private let lock = Lock()
    private var continuation: CheckedContinuation<Bool, Never>?
    private var answered: Bool?

    func install(_ continuation: CheckedContinuation<Bool, Never>) {
        let early = self.lock.withLock { () -> Bool? in
            if let answered = self.answered { return answered }
            self.continuation = continuation
            return nil
        }
        if let early { continuation.resume(returning: early) }
    }

    func answer(_ value: Bool) {
        let continuation = self.lock.withLock { () -> CheckedContinuation<Bool, Never>? in
            guard self.answered == nil else { return nil }
            self.answered = value
            defer { self.continuation = nil }
            return self.continuation
        }
        continuation?.resume(returning: value)
    }
}
