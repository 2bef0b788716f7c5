import NIOCore
import NIOHTTP1

extension HTTPServer {
    /// Serves one connection: requests in turn (keep-alive), each read in full within the limits, routed, and
    /// answered; protocol errors get one answer that closes the connection.
    func serve(_ accepted: AcceptedHTTPConnection) async {
        accepted.unserved.markServed()
        let channel = accepted.channel.channel
        let (id, admitted) = self.admit(channel)
        defer { self.release(id) }
        do {
            try await accepted.channel.executeThenClose { inbound, outbound in
                var parts = inbound.makeAsyncIterator()
                guard admitted else {
                    let refusal = HTTPError(
                        status: .serviceUnavailable,
                        message: self.isDraining
                            ? "the daemon is shutting down"
                            : "too many connections (http.max_connections = \(self.settings.maxConnections))",
                        headers: [("retry-after", "1")]
                    )
                    try await self.write(refusal.response, version: .http1_1, head: false, keepAlive: false, outbound)
                    await Self.discard(&parts)
                    return
                }
                let watch = ChannelCloseWatch(channel)
                while try await self.serveOne(&parts, outbound, peer: accepted.peer, watch: watch) {}
                await Self.discard(&parts)
            }
        } catch {
            // The client went away mid-response, or the channel was closed at the drain timeout.
            self.logger.debug("http connection ended", metadata: ["peer": "\(accepted.peer)", "error": "\(error)"])
        }
    }

    /// Reads, answers one request. Returns whether the connection stays open for another.
    private func serveOne(
        _ parts: inout NIOAsyncChannelInboundStream<HTTPServerRequestPart>.AsyncIterator,
        _ outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        peer: HTTPPeer,
        watch: ChannelCloseWatch
    ) async throws -> Bool {
        let head: HTTPRequestHead
        do {
            guard let part = try await parts.next() else { return false }
            guard case .head(let first) = part else {
                throw HTTPError(status: .badRequest, message: "malformed request: body without a request line")
            }
            head = first
        } catch {
            try await self.write(Self.protocolFailure(error, settings: self.settings), version: .http1_1, outbound)
            return false
        }
        let version: HTTPVersion = head.version.minor == 0 ? .http1_0 : .http1_1
        guard head.version.major == 1 else {
            let failure = HTTPError(status: .httpVersionNotSupported, message: "only HTTP/1.0 and HTTP/1.1 are served")
            try await self.write(failure.response, version: .http1_1, outbound)
            return false
        }
        let (path, _) = HTTPServerRequest.split(head.uri)
        let match = self.router.match(method: head.method, path: path)
        var limit = self.settings.maxBodyBytes
        if case .handler(_, let route) = match, let routeLimit = route.maxBodyBytes { limit = routeLimit }

        let body: ByteBuffer
        do {
            body = try await Self.readBody(&parts, head: head, limit: limit, outbound)
        } catch let failure as HTTPError {
            try await self.write(failure.response, version: version, outbound)
            return false
        } catch is CancellationError {
            return false
        } catch {
            try await self.write(Self.protocolFailure(error, settings: self.settings), version: version, outbound)
            return false
        }
        let request = HTTPServerRequest(head: head, body: body, peer: peer)
        // A client that hangs up cancels its handler (and the upstream call behind it) at once, streamed or not.
        return try await watch.cancelling {
            let response = await self.respond(to: request, match: match)
            let keepAlive = head.isKeepAlive && !self.isDraining
            let omitBody = head.method == .HEAD
            return try await self.write(response, version: version, head: omitBody, keepAlive: keepAlive, outbound)
        }
    }

    /// The request's body, in full; an `HTTPError` 413 when it is larger than `limit` (told by its
    /// `Content-Length` before anything is read, else found while reading).
    private static func readBody(
        _ parts: inout NIOAsyncChannelInboundStream<HTTPServerRequestPart>.AsyncIterator,
        head: HTTPRequestHead,
        limit: Int,
        _ outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws -> ByteBuffer {
        let tooLarge = HTTPError(
            status: .payloadTooLarge, message: "request body larger than \(limit) bytes (http.max_body_bytes)"
        )
        if let declared = head.headers.first(name: "content-length").flatMap(Int.init), declared > limit {
            throw tooLarge
        }
        let expects = head.headers[canonicalForm: "expect"].contains { $0.lowercased() == "100-continue" }
        if expects, head.version == .http1_1 {
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .continue)))
        }
        var body = ByteBuffer()
        while let part = try await parts.next() {
            switch part {
            case .body(var chunk):
                guard body.readableBytes + chunk.readableBytes <= limit else { throw tooLarge }
                body.writeBuffer(&chunk)
            case .end:
                return body
            case .head:
                throw HTTPError(status: .badRequest, message: "malformed request: a request line inside a body")
            }
        }
        throw CancellationError()  // the client went away mid-request: nothing to answer
    }

    /// Runs the route's handler (404, 405 without one); a thrown `HTTPError` is its response, anything else 500.
    private func respond(to request: HTTPServerRequest, match: HTTPRouter.Match) async -> HTTPServerResponse {
        switch match {
        case .notFound:
            return .text(.notFound, "not found: \(request.path) (try /healthz, /readyz, /metrics, /api/stats or /)")
        case .methodNotAllowed(let allow):
            return HTTPError(
                status: .methodNotAllowed,
                message: "method \(request.method.rawValue) not allowed on \(request.path)",
                headers: [("allow", allow.joined(separator: ", "))]
            ).response
        case .handler(let handler, _):
            do {
                return try await handler(request)
            } catch let failure as HTTPError {
                return failure.response
            } catch is CancellationError {
                // The client hung up: nobody reads this answer.
                return .text(.serviceUnavailable, "cancelled")
            } catch {
                self.logger.error(
                    "http handler failed", metadata: ["path": "\(request.path)", "error": "\(error)"]
                )
                return .text(.internalServerError, "internal error")
            }
        }
    }

    /// Writes a response. Returns whether the connection stays open (false when it closes after this one).
    @discardableResult
    func write(
        _ response: HTTPServerResponse,
        version: HTTPVersion,
        head omitBody: Bool = false,
        keepAlive: Bool = false,
        _ outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws -> Bool {
        var headers = response.headers
        var keepAlive = keepAlive
        if case .stream = response.body, version == .http1_0 { keepAlive = false }  // close-delimited body
        if !keepAlive {
            headers.replaceOrAdd(name: "connection", value: "close")
        } else if version == .http1_0 {
            headers.replaceOrAdd(name: "connection", value: "keep-alive")
        }
        switch response.body {
        case .full(let buffer):
            headers.replaceOrAdd(name: "content-length", value: "\(buffer.readableBytes)")
            let responseHead = HTTPResponseHead(version: version, status: response.status, headers: headers)
            if omitBody || buffer.readableBytes == 0 {
                try await outbound.write(contentsOf: [.head(responseHead), .end(nil)])
            } else {
                try await outbound.write(contentsOf: [.head(responseHead), .body(.byteBuffer(buffer)), .end(nil)])
            }
        case .stream(let produce):
            headers.remove(name: "content-length")
            let responseHead = HTTPResponseHead(version: version, status: response.status, headers: headers)
            if omitBody {
                try await outbound.write(contentsOf: [.head(responseHead), .end(nil)])
                return keepAlive
            }
            // The head waits for the first chunk: a producer that fails before it answers with a whole response.
            let writer = HTTPBodyWriter(outbound: outbound, head: responseHead)
            do {
                try await produce(writer)
            } catch let replacement as HTTPReplacementResponse where !writer.headSent {
                var whole = replacement.response
                whole.headers.replaceOrAdd(name: "x-content-type-options", value: "nosniff")
                return try await self.write(whole, version: version, keepAlive: keepAlive, outbound)
            }
            try await writer.sendHeadIfNeeded()
            try await outbound.write(.end(nil))
        }
        return keepAlive
    }

    /// What a malformed request is answered: 431 for headers over the limit, else 400.
    static func protocolFailure(_ error: any Error, settings: HTTPServerSettings) -> HTTPServerResponse {
        if let failure = error as? HTTPError { return failure.response }
        if let parser = error as? HTTPParserError, parser == .headerOverflow {
            return .text(
                .requestHeaderFieldsTooLarge,
                "request line and headers larger than \(settings.maxHeaderBytes) bytes (http.max_header_bytes)"
            )
        }
        return .text(.badRequest, "malformed request: \(error)")
    }

    /// Reads and drops whatever the client still sends, until it hangs up or the connection's linger timer
    /// closes it: the answer already written is then read by the client, not lost to a reset.
    static func discard(_ parts: inout NIOAsyncChannelInboundStream<HTTPServerRequestPart>.AsyncIterator) async {
        while (try? await parts.next()) != nil {}
    }
}
