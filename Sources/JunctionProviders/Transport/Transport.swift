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
        /// Idle connections kept open for reuse, over all hosts (`CURLMOPT_MAXCONNECTS`): after a burst the
        /// others are closed as their transfers end instead of holding a file descriptor each. At least 1: libcurl
        /// reads 0 as "four per transfer ever added".
        public var maxIdleConnections: Int
        /// An idle connection older than this is not reused but closed (`CURLOPT_MAXAGE_CONN`).
        public var idleConnectionLifetime: Duration
        /// Unary requests' easy handles kept for reuse.
        public var maxIdleHandles: Int
        /// Told about what the transport cannot put in a transfer's error alone; called on the curl thread, so it
        /// must return quickly (log, count).
        public var incidents: (@Sendable (TransportIncident) -> Void)?

        public init(
            maxConnectionsPerHost: Int = 512,
            maxTotalConnections: Int = 2048,
            maxIdleConnections: Int = 64,
            idleConnectionLifetime: Duration = .seconds(60),
            maxIdleHandles: Int = 64,
            incidents: (@Sendable (TransportIncident) -> Void)? = nil
        ) {
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.maxTotalConnections = maxTotalConnections
            self.maxIdleConnections = maxIdleConnections
            self.idleConnectionLifetime = idleConnectionLifetime
            self.maxIdleHandles = maxIdleHandles
            self.incidents = incidents
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
    var handles: EasyHandlePool<UnsafeMutableRawPointer>
    let configuration: Configuration
    /// A multi-handle option libcurl refused at start: the transport cannot work as configured, and every transfer
    /// fails with this instead of running half-configured.
    var setupFailure: TransportError?
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
        self.configuration = configuration
        self.handles = EasyHandlePool(capacity: configuration.maxIdleHandles)
        self.multi = curl_multi_init()
        self.epollFD = junction_epoll_create()
        self.wakeFD = junction_eventfd()
        precondition(self.epollFD >= 0 && self.wakeFD >= 0, "cannot create the transport's epoll set")
        _ = junction_epoll_control(self.epollFD, EPOLL_CTL_ADD, self.wakeFD, 1, 0)
        // The callbacks only run inside libcurl calls on the curl thread, which starts after this.
        let userdata = Unmanaged.passUnretained(self).toOpaque()
        let multi = self.multi
        func long(_ option: CURLMoption, _ value: Int) -> CURLMcode {
            junction_curl_multi_setopt_long(multi, option, value)
        }
        let results: [(String, CURLMcode)] = [
            ("CURLMOPT_PIPELINING", long(CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))),
            ("CURLMOPT_MAX_HOST_CONNECTIONS", long(CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maxConnectionsPerHost)),
            ("CURLMOPT_MAX_TOTAL_CONNECTIONS", long(CURLMOPT_MAX_TOTAL_CONNECTIONS, configuration.maxTotalConnections)),
            ("CURLMOPT_MAXCONNECTS", long(CURLMOPT_MAXCONNECTS, configuration.maxIdleConnections)),
            ("CURLMOPT_SOCKETFUNCTION", junction_curl_multi_setopt_socket_function(multi, curlSocketCallback)),
            ("CURLMOPT_SOCKETDATA", junction_curl_multi_setopt_pointer(multi, CURLMOPT_SOCKETDATA, userdata)),
            ("CURLMOPT_TIMERFUNCTION", junction_curl_multi_setopt_timer_function(multi, curlTimerCallback)),
            ("CURLMOPT_TIMERDATA", junction_curl_multi_setopt_pointer(multi, CURLMOPT_TIMERDATA, userdata)),
        ]
        self.setupFailure = results.lazy.compactMap { CurlOptions.checkMulti($0.0, $0.1) }.first
        if let failure = self.setupFailure { configuration.incidents?(.optionRefused(failure.detail)) }
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
