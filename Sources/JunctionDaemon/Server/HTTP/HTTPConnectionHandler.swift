import NIOCore
import NIOHTTP1

/// Sent through a connection's pipeline when the server starts draining.
struct HTTPDrainEvent: Sendable {}

/// Applies `HTTPConnectionPhase` to one connection: watches request parts in and response parts out, runs the
/// idle and linger timers on the channel's event loop, adds `Connection: close` to responses while draining, and
/// shuts or closes the channel when the phase says so. Sits between the HTTP codec and the async channel.
final class HTTPConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var phase: HTTPConnectionPhase
    private var timer: Scheduled<Void>?

    /// A handler with the server's idle and linger timeouts.
    init(idleTimeout: Duration, lingerTimeout: Duration) {
        self.phase = HTTPConnectionPhase(idleTimeout: idleTimeout, lingerTimeout: lingerTimeout)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.apply(self.phase.connected(), context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.apply(self.phase.connected(), context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let action: HTTPConnectionPhase.Action =
            switch self.unwrapInboundIn(data) {
            case .head: self.phase.requestHeadReceived()
            case .body: self.phase.requestBodyReceived()
            case .end: self.phase.requestEndReceived()
            }
        self.apply(action, context: context)
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .head(var head) where head.status.code >= 200:
            let closes = head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" }
            if self.phase.responseHeadSent(closes: closes) {
                head.headers.replaceOrAdd(name: "connection", value: "close")
                context.write(self.wrapOutboundOut(.head(head)), promise: promise)
                return
            }
            context.write(data, promise: promise)
        case .end:
            let action = self.phase.responseEndSent()
            let written = promise ?? context.eventLoop.makePromise()
            context.write(data, promise: written)
            written.futureResult.assumeIsolated().whenComplete { [context] _ in self.apply(action, context: context) }
        default:
            context.write(data, promise: promise)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is HTTPDrainEvent {
            self.apply(self.phase.drainStarted(), context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.apply(self.phase.writabilityChanged(writable: context.channel.isWritable), context: context)
        context.fireChannelWritabilityChanged()
    }

    private func apply(_ action: HTTPConnectionPhase.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            return
        case .disarm:
            self.timer?.cancel()
            self.timer = nil
        case .arm(let duration):
            self.arm(duration, context: context)
        case .shutOutputAndArm(let duration):
            context.flush()
            context.close(mode: .output, promise: nil)
            self.arm(duration, context: context)
        case .close:
            self.timer?.cancel()
            self.timer = nil
            context.close(promise: nil)
        }
    }

    private func arm(_ duration: Duration, context: ChannelHandlerContext) {
        self.timer?.cancel()
        let loop = context.eventLoop.assumeIsolated()
        self.timer = loop.scheduleTask(in: TimeAmount(duration)) { [context] in
            self.timer = nil
            self.apply(self.phase.timerFired(), context: context)
        }
    }
}
