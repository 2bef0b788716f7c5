import JunctionCore
import JunctionRPC
import NIOCore

extension RPCConnection {
    /// Reads frames until the client stops sending, running each request as it arrives. Returns once input has
    /// ended; requests may still be running (the caller waits for them).
    func serve(
        frames: NIOAsyncChannelInboundStream<LineFramer.Frame>,
        dispatcher: RPCDispatcher,
        limits: ConnectionLimits
    ) async throws {
        for try await frame in frames {
            switch frame {
            case .oversized(let length):
                self.writer.write(
                    RPCEncoder.line(
                        RPCEncoder.errorResponse(
                            id: .null,
                            error: .invalidRequest(
                                "line of \(length) bytes exceeds the limit of \(limits.maxLineBytes) bytes (max_line_bytes)"
                            )
                        )
                    )
                )
            case .line(let line):
                let inbound = line.withUnsafeReadableBytes { RPCDecoder.decode($0, maxDepth: limits.maxJSONDepth) }
                await self.handle(inbound, dispatcher: dispatcher)
            }
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
            if self.isDraining {
                let answers = items.compactMap { item -> JSONValue? in
                    switch item {
                    case .success(let request):
                        request.id.map { RPCEncoder.errorResponse(id: $0, error: .shuttingDown) }
                    case .failure(let failure):
                        RPCEncoder.errorResponse(id: failure.id, error: failure.error)
                    }
                }
                if !answers.isEmpty { self.writer.write(RPCEncoder.line(.array(answers))) }
                return
            }
            await self.waitForRoom()
            let ids = items.compactMap { try? $0.get().id }
            self.start(ids: ids) { key in
                await self.respond(toBatch: items, dispatcher: dispatcher, key: key)
            }
        }
    }

    /// Runs one request and writes its answer (none for a notification).
    private func respond(to request: RPCRequest, dispatcher: RPCDispatcher, key: UInt64?) async {
        let answer = await self.answer(request, dispatcher: dispatcher, key: key)
        if let answer { self.writer.write(RPCEncoder.line(answer)) }
    }

    /// Runs a batch's requests concurrently and writes one array with the answers, in request order. A batch of
    /// notifications only gets no answer at all.
    private func respond(toBatch items: [Result<RPCRequest, RPCFailure>], dispatcher: RPCDispatcher, key: UInt64) async {
        let answers = await withTaskGroup(of: (Int, JSONValue?).self) { group in
            for (position, item) in items.enumerated() {
                switch item {
                case .failure(let failure):
                    group.addTask { (position, RPCEncoder.errorResponse(id: failure.id, error: failure.error)) }
                case .success(let request):
                    group.addTask { (position, await self.answer(request, dispatcher: dispatcher, key: key)) }
                }
            }
            var answers = [JSONValue?](repeating: nil, count: items.count)
            for await (position, answer) in group { answers[position] = answer }
            return answers.compactMap { $0 }
        }
        if !answers.isEmpty { self.writer.write(RPCEncoder.line(.array(answers))) }
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
    var maxJSONDepth: Int
    var maxInflight: Int
    var maxWriteBufferBytes: Int
}
