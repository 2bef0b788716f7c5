import JunctionCore

/// An HTTP request for the transport: everything libcurl needs, nothing provider-specific.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    /// Header lines; names as the provider documents them. Values may hold secrets: never log them.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    public var timeouts: TransportTimeouts
    /// nil: connect directly (the environment's proxy variables are ignored); else a proxy URL.
    public var proxy: String?
    /// Hosts that bypass the proxy (curl's `NOPROXY` syntax: comma-separated names, `*` for all).
    public var noProxy: String?
    public var maxResponseBytes: Int
    /// The oldest TLS version accepted for https:// URLs (some deployments require TLS 1.3 everywhere).
    public var tlsMinVersion: TLSVersion
    /// True for streams: body bytes reach the consumer as they arrive (with backpressure). False: the consumer is
    /// woken once, with the whole response, which saves a thread hop per chunk for ordinary answers.
    public var streamsBody: Bool

    public init(
        method: String = "POST",
        url: String,
        headers: [(name: String, value: String)] = [],
        body: [UInt8]? = nil,
        timeouts: TransportTimeouts = TransportTimeouts(),
        proxy: String? = nil,
        noProxy: String? = nil,
        maxResponseBytes: Int = 32 << 20,
        tlsMinVersion: TLSVersion = .v1_2,
        streamsBody: Bool = false
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
        self.proxy = proxy
        self.noProxy = noProxy
        self.maxResponseBytes = maxResponseBytes
        self.tlsMinVersion = tlsMinVersion
        self.streamsBody = streamsBody
    }

    /// The URL without its query string, for logs and errors (queries can carry keys).
    public var redactedURL: String {
        String(self.url.prefix { $0 != "?" })
    }
}

/// A TLS protocol version, as written in the configuration (`tls_min_version = "1.3"`).
public enum TLSVersion: String, Sendable, Equatable, CaseIterable {
    case v1_2 = "1.2"
    case v1_3 = "1.3"
}

/// The transport's clocks. Each expiry produces its own `TransportFailure`.
public struct TransportTimeouts: Sendable, Equatable {
    public var connect: Duration
    /// Until the response headers.
    public var firstByte: Duration
    /// Longest silence while the body streams (not counted while the consumer is the one behind).
    public var idle: Duration
    /// The whole transfer.
    public var overall: Duration
    /// Streams: until the consumer reports the first token (`HTTPResponseStream.markFirstToken()`); nil for
    /// requests that have no tokens to wait for.
    public var firstToken: Duration?

    public init(
        connect: Duration = .seconds(5),
        firstByte: Duration = .seconds(15),
        idle: Duration = .seconds(30),
        overall: Duration = .seconds(120),
        firstToken: Duration? = nil
    ) {
        self.connect = connect
        self.firstByte = firstByte
        self.idle = idle
        self.overall = overall
        self.firstToken = firstToken
    }
}

/// The status line and headers of a response.
public struct HTTPResponseHead: Sendable, Equatable {
    public var status: Int
    /// Header names lowercased; a repeated header keeps its last value.
    public var headers: [String: String]

    public init(status: Int, headers: [String: String]) {
        self.status = status
        self.headers = headers
    }
}

/// A failed transfer: what failed, in words safe to show (no key, no query string).
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    public var failure: TransportFailure
    public var detail: String

    public init(_ failure: TransportFailure, _ detail: String) {
        self.failure = failure
        self.detail = detail
    }

    public var description: String { "\(self.failure.rawValue): \(self.detail)" }

    public var providerError: ProviderError {
        ProviderError(kind: .transport(self.failure), message: self.detail)
    }
}
