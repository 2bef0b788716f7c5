/// Which easy handles the transport reuses, and which receive-buffer size each may be given: the rule that keeps
/// libcurl 7.88's receive-buffer bug away, as a value (the transport holds one on its curl thread).
///
/// libcurl 7.88 allocates a handle's receive buffer when a transfer first needs it, at the size set then, and
/// frees it only when a transfer on it completes: a handle removed while it still waits for a connection (a
/// cancelled request queued behind `max_connections_per_host`, or waiting to multiplex) keeps its buffer through
/// `curl_easy_reset`. On such a handle a new `CURLOPT_BUFFERSIZE` is refused with error 43 (the buffer exists),
/// and a reset brings the size setting back to the default while the old, smaller buffer stays: the next
/// transfer reads 16 KiB into it. So:
/// - `CURLOPT_BUFFERSIZE` is set only on a handle created for the transfer (`Checkout.create(mayResizeBuffer:)`),
///   never on a reused one, and a handle that was ever given a size is never reused;
/// - streams (the only transfers that set a size: a thousand held streams keep their buffers) always get a new
///   handle;
/// - a handle that refused any option is in an unknown state and is never reused;
/// - at most `capacity` idle handles are kept: a burst of unary requests must not leave its handles behind.
public struct EasyHandlePool<Handle: Hashable> {
    public enum Checkout: Equatable {
        /// A handle from the pool, reset to defaults: its buffer size must not be set.
        case reuse(Handle)
        /// A new handle; `mayResizeBuffer` says whether this transfer sets its buffer size.
        case create(mayResizeBuffer: Bool)
    }

    public enum Checkin: Equatable {
        /// Reset it and keep it for the next unary request.
        case keep
        /// Clean it up.
        case discard
    }

    public let capacity: Int
    private var idle: [Handle] = []

    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// Idle handles held right now.
    public var idleCount: Int { self.idle.count }

    /// The handle for a new transfer.
    public mutating func checkout(streams: Bool) -> Checkout {
        if streams { return .create(mayResizeBuffer: true) }
        if let handle = self.idle.popLast() { return .reuse(handle) }
        return .create(mayResizeBuffer: false)
    }

    /// A transfer on `handle` ended. `resizedBuffer`: its buffer size was set; `refusedOption`: libcurl refused
    /// one of its options. On `.keep` the caller resets the handle; the pool has taken it.
    public mutating func checkin(_ handle: Handle, resizedBuffer: Bool, refusedOption: Bool) -> Checkin {
        guard !resizedBuffer, !refusedOption, self.idle.count < self.capacity else { return .discard }
        self.idle.append(handle)
        return .keep
    }

    /// Every idle handle, for cleanup at shutdown; the pool is empty afterwards.
    public mutating func drain() -> [Handle] {
        defer { self.idle.removeAll() }
        return self.idle
    }
}
