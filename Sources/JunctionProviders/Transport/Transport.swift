#if canImport(Glibc)
import Glibc
#endif
import CCurl
import JunctionCore

/// The only code that calls libcurl: one multi handle driven by one dedicated thread.
///
/// Any task may submit a request; the response arrives as an `HTTPResponseStream`. Other threads never touch a
/// curl object: they queue commands under a lock and wake the thread through an eventfd. The thread drives
/// libcurl with its socket API (`curl_multi_socket_action`) on an epoll set, so the work per wake-up is
/// proportional to the sockets that are ready, not to the number of transfers: a thousand idle streams cost
/// nothing. Connections are reused and HTTP/2 streams multiplexed across all requests to a host.
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

    enum Command {
        case add(Transfer)
        case cancel(Transfer)
        case resume(Transfer)
        case probe(LivenessReply)
    }

    let multi: UnsafeMutableRawPointer
    let epollFD: Int32
    let wakeFD: Int32
    let lock = Lock()
    var commands: [Command] = []
    var stopping = false
    var thread: pthread_t?
    // Curl thread only.
    var active: [UnsafeMutableRawPointer: Transfer] = [:]
    var idleHandles: [UnsafeMutableRawPointer] = []
    /// When the transfers' clocks were last checked; checking is O(transfers), so it runs at most every 20 ms
    /// rather than on every wake-up (which, with a thousand streams, is thousands of times a second).
    var lastDeadlineCheck = ContinuousClock.now
    /// When libcurl wants its timer run (nil: no timer), from its timer callback.
    var curlTimerDeadline: ContinuousClock.Instant?
    var watched: Set<Int32> = []
    /// Streams with bytes for their consumers, woken together once libcurl's call returns.
    let wakeQueue = ConsumerWakeQueue()

    static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_ALL)) }()

    public init(configuration: Configuration = Configuration()) {
        _ = Self.globalInit
        self.multi = curl_multi_init()
        _ = junction_curl_multi_setopt_long(self.multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        _ = junction_curl_multi_setopt_long(self.multi, CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maxConnectionsPerHost)
        _ = junction_curl_multi_setopt_long(self.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, configuration.maxTotalConnections)
        self.epollFD = junction_epoll_create()
        self.wakeFD = junction_eventfd()
        precondition(self.epollFD >= 0 && self.wakeFD >= 0, "cannot create the transport's epoll set")
        _ = junction_epoll_control(self.epollFD, EPOLL_CTL_ADD, self.wakeFD, 1, 0)
    }

    deinit {
        close(self.epollFD)
        close(self.wakeFD)
    }

    /// Starts the curl thread. Call once, before the first request.
    public func start() {
        let box = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        // The closure captures nothing: the transport travels through the argument pointer.
        let result = pthread_create(&thread, nil, { argument in
            let transport = Unmanaged<Transport>.fromOpaque(argument!).takeRetainedValue()
            // Named for `top -H`, `perf sched` and `strace`: otherwise it inherits the name of whichever
            // thread started it (a Swift concurrency worker, "...default-qos").
            Transport.nameCurrentThread("junction-curl")
            transport.runLoop()
            return nil
        }, box)
        precondition(result == 0, "cannot start the curl thread: \(result)")
        self.thread = thread
    }

    /// Sets the calling thread's name (at most 15 bytes) through procfs: Glibc's `pthread_setname_np` is not
    /// visible to Swift. Best effort.
    private static func nameCurrentThread(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var bytes = Array(name.utf8.prefix(15))
        _ = write(fd, &bytes, bytes.count)
    }

    /// Stops the thread; transfers still running fail. Waits for the thread to end.
    public func shutdown() {
        self.lock.withLock {
            self.stopping = true
            junction_eventfd_signal(self.wakeFD)
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

    /// Whether the curl thread is turning its loop: it answers a queued command within `timeout`. For the
    /// systemd watchdog, which must stop being petted when the transport is wedged.
    public func answers(within timeout: Duration) async -> Bool {
        let reply = LivenessReply()
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        reply.install(continuation)
                        self.send(.probe(reply))
                    }
                } onCancel: {
                    reply.answer(false)
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    func cancel(_ transfer: Transfer) {
        self.send(.cancel(transfer))
    }

    func resume(_ transfer: Transfer) {
        self.send(.resume(transfer))
    }

    func send(_ command: Command) {
        // Only the command that finds the queue empty wakes the thread (it takes the whole queue), and it does so
        // after unlocking: the woken thread's first act is to take this lock, and signalling while holding it made
        // nearly every request pay a futex wait and wake on top of the eventfd.
        let wake = self.lock.withLock { () -> Bool in
            self.commands.append(command)
            return self.commands.count == 1 && !self.stopping
        }
        if wake { junction_eventfd_signal(self.wakeFD) }
    }
}
