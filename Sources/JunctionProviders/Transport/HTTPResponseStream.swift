/// The response of one transfer, as an async sequence: first `.head`, then `.body` chunks, then the end (or a
/// thrown `TransportError`). Reading drives backpressure: a transfer whose bytes are not read pauses.
public struct HTTPResponseStream: AsyncSequence, Sendable {
    public enum Element: Sendable {
        case head(HTTPResponseHead)
        case body([UInt8])
    }

    let transfer: Transfer
    let transport: Transport

    /// Body bytes received but not yet read; for observing backpressure.
    public var bufferedBytes: Int { self.transfer.waitingBytes }

    /// Stops the first-token clock (`TransportTimeouts.firstToken`): the answer has started.
    public func markFirstToken() {
        self.transfer.markFirstToken()
    }

    /// True while the consumer is suspended waiting for the producer (for tests of the wake-up policy).
    var consumerIsWaiting: Bool { self.transfer.hasWaiter }

    public func makeAsyncIterator() -> Iterator {
        Iterator(guardian: TransferGuardian(transfer: self.transfer, transport: self.transport))
    }

    public struct Iterator: AsyncIteratorProtocol {
        let guardian: TransferGuardian

        public mutating func next() async throws -> Element? {
            try await self.guardian.next()
        }
    }
}

/// Cancels the transfer when its consumer is cancelled or walks away before the end.
final class TransferGuardian: Sendable {
    let transfer: Transfer
    let transport: Transport

    init(transfer: Transfer, transport: Transport) {
        self.transfer = transfer
        self.transport = transport
    }

    deinit {
        if !self.transfer.isFinished { self.transport.cancel(self.transfer) }
    }

    func next() async throws -> HTTPResponseStream.Element? {
        try await withTaskCancellationHandler {
            while true {
                if Task.isCancelled {
                    self.transport.cancel(self.transfer)
                    throw CancellationError()
                }
                var resume = false
                let next = self.transfer.take(resumeProducer: &resume)
                if resume { self.transport.resume(self.transfer) }
                switch next {
                case .head(let head): return .head(head)
                case .body(let bytes): return .body(bytes)
                case .finished: return nil
                case .failed(let error): throw error
                case .wait: await self.transfer.waitForProgress()
                }
            }
        } onCancel: {
            self.transport.cancel(self.transfer)
        }
    }
}
