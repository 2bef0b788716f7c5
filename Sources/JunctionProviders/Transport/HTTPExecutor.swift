/// Executes HTTP requests for the request path. The daemon's is the libcurl `Transport`; tests use a fake
/// (`JunctionTesting.FakeHTTPExecutor`) so that the gateway runs in-process without sockets.
public protocol HTTPExecutor: Sendable {
    func send(_ request: HTTPRequest) -> HTTPResponse
}

/// One response being received: `.head`, then `.body` chunks, then the end or a thrown `TransportError`.
public struct HTTPResponse: AsyncSequence, Sendable {
    public typealias Element = HTTPResponseStream.Element

    let source: any HTTPResponseSource

    public init(source: any HTTPResponseSource) {
        self.source = source
    }

    /// Stops the first-token clock: the answer has started.
    public func markFirstToken() {
        self.source.markFirstToken()
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(source: self.source)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let source: any HTTPResponseSource

        public mutating func next() async throws -> Element? {
            try await self.source.next()
        }
    }
}

/// What produces a response's parts. Dropping the last reference before the end cancels the exchange.
public protocol HTTPResponseSource: AnyObject, Sendable {
    func next() async throws -> HTTPResponseStream.Element?
    func markFirstToken()
}

extension TransferGuardian: HTTPResponseSource {
    func markFirstToken() {
        self.transfer.markFirstToken()
    }
}

extension Transport: HTTPExecutor {
    public func send(_ request: HTTPRequest) -> HTTPResponse {
        let stream = self.execute(request)
        return HTTPResponse(source: TransferGuardian(transfer: stream.transfer, transport: stream.transport))
    }
}
