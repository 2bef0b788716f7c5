import JunctionCore
import JunctionRPC
import NIOCore

extension RPCConnection {
    /// Reads frames until the client stops sending, running each request as it arrives. Returns once input has
    /// ended or the client has gone; requests may still be running (the caller waits for them).
    func serve(
        frames: NIOAsyncChannelInboundStream<LineFramer.Frame>,
        dispatcher: RPCDispatcher,
        limits: ConnectionLimits
    ) async throws {
        for try await frame in frames {
            // Lines already read when the client went away are dropped: it hears nothing, so nothing starts.
            if self.isClosed { return }
            // Backpressure: while the client has not taken its answers, its next requests wait in the socket.
            await self.writer.waitForRoom()
            switch frame {
            case .oversized(let length):
                self.writer.write(
                    RPCEncoder.line(
                        RPCEncoder.errorResponse(
                            id: .null,
                            error: .invalidRequest(
                                "line of \(length) bytes exceeds the limit of \(limits.maxLineBytes) bytes "
                                    + "(max_line_bytes)"
                            )
                        )
                    )
                )
            case .line(let line):
                await self.handle(Self.decode(line, limits: limits.decoding), dispatcher: dispatcher)
            }
        }
    }

    /// Lines longer than this are parsed on the shared thread pool, not on the connection's event loop, so that
    /// one large message never holds up the other connections served by that loop.
    static let offLoopDecodeBytes = 64 * 1024

    private static func decode(_ line: ByteBuffer, limits: DecodeLimits) async -> RPCInbound {
        guard line.readableBytes > Self.offLoopDecodeBytes else {
            return line.withUnsafeReadableBytes { RPCDecoder.decode($0, limits: limits) }
        }
        return await withTaskExecutorPreference(globalConcurrentExecutor) {
            line.withUnsafeReadableBytes { RPCDecoder.decode($0, limits: limits) }
        }
    }

    private func handle(_ inbound: RPCInbound, dispatcher: RPCDispatcher) async {
        switch inbound {
        case .empty:
            return
        case .failure(let failure):
            self.writer.write(RPCEncoder.line(RPCEncoder.errorResponse(id: failure.id, error: failure.error)))
        case .single(let request):
            if self.isDraining {
                if let id = request.id {
                    self.writer.write(RPCEncoder.line(RPCEncoder.errorResponse(id: id, error: .shuttingDown)))
                }
                return
            }
            if request.method == "cancel" {
                // Answered in line, never queued behind a full set of in-flight requests: it is how a client
                // frees them.
                await self.respond(to: request, dispatcher: dispatcher, key: nil)
                return
            }
            await self.waitForRoom()
            self.start(ids: request.id.map { [$0] } ?? []) { key in
                await self.respond(to: request, dispatcher: dispatcher, key: key)
            }
        case .batch(let items):
            await self.serve(batch: items, dispatcher: dispatcher)
        }
    }

    /// Runs a batch's requests and writes one array with their answers, in request order (nothing for a batch
    /// of notifications only). Each element is a request of its own: it takes a run slot, counts as in flight
    /// and waits for room as a single request does, so a batch gets no more of the daemon than the same requests
    /// sent one by one.
    private func serve(batch items: [Result<RPCRequest, RPCFailure>], dispatcher: RPCDispatcher) async {
        let answers = BatchAnswers(count: items.count, writer: self.writer)
        for (position, item) in items.enumerated() {
            switch item {
            case .failure(let failure):
                answers.deposit(RPCEncoder.errorResponse(id: failure.id, error: failure.error), at: position)
            case .success(let request):
                if self.isClosed { return }
                if self.isDraining {
                    let refusal = request.id.map { RPCEncoder.errorResponse(id: $0, error: .shuttingDown) }
                    answers.deposit(refusal, at: position)
                } else if request.method == "cancel" {
                    answers.deposit(await self.answer(request, dispatcher: dispatcher, key: nil), at: position)
                } else {
                    await self.waitForRoom()
                    self.start(ids: request.id.map { [$0] } ?? []) { key in
                        answers.deposit(await self.answer(request, dispatcher: dispatcher, key: key), at: position)
                    }
                }
            }
        }
    }

    /// Runs one request and writes its answer (none for a notification).
    private func respond(to request: RPCRequest, dispatcher: RPCDispatcher, key: UInt64?) async {
        let answer = await self.answer(request, dispatcher: dispatcher, key: key)
        if let answer { self.writer.write(RPCEncoder.line(answer)) }
    }

    /// The response message for one request, or nil when none is due (notification, or the client is gone).
    private func answer(_ request: RPCRequest, dispatcher: RPCDispatcher, key: UInt64?) async -> JSONValue? {
        let context = RequestContext(peer: self.peer, id: request.id, connection: self)
        // A request cancelled while it waited for a run slot is not started at all.
        var outcome = Task.isCancelled ? .failure(.cancelled) : await dispatcher.dispatch(request, context: context)
        if let key, Task.isCancelled || (try? outcome.get()) == nil, let reason = self.cancelReason(for: key) {
            switch reason {
            case .clientRequest: outcome = .failure(.cancelled)
            case .shutdown: outcome = .failure(.shuttingDown)
            case .disconnected: return nil
            }
        }
        guard let id = request.id else { return nil }
        switch outcome {
        case .success(let result): return RPCEncoder.response(id: id, result: result)
        case .failure(let error): return RPCEncoder.errorResponse(id: id, error: error)
        }
    }
}

/// The per-connection limits in force when a connection was accepted.
struct ConnectionLimits: Sendable, Equatable {
    var maxLineBytes: Int
    var decoding: DecodeLimits
    var maxInflight: Int
    var maxWriteBufferBytes: Int
    var writeStallTimeout: Duration
}
