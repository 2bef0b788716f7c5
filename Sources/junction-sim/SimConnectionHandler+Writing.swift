import JunctionCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// Raw HTTP writing: faults need to break responses in ways an HTTP encoder would not allow.
extension SimConnectionHandler {
    func respond(_ context: ChannelHandlerContext, status: Int, json: JSONValue, headers: [(String, String)] = []) {
        let body = json.serialized()
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        var buffer = context.channel.allocator.buffer(capacity: head.utf8.count + body.count)
        buffer.writeString(head)
        buffer.writeBytes(body)
        context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
    }

    func chunk(_ text: String) -> String {
        "\(String(text.utf8.count, radix: 16))\r\n\(text)\r\n"
    }

    func write(_ context: ChannelHandlerContext, _ text: String) {
        context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
    }

    func after(_ context: ChannelHandlerContext, _ delay: TimeAmount, _ body: @escaping () -> Void) {
        let task = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: delay) { body() }
        self.scheduled.append(task)
        if self.scheduled.count > 64 { self.scheduled.removeFirst(32) }
    }

    func repeatWrite(_ context: ChannelHandlerContext, every interval: TimeAmount, _ text: @escaping () -> String) {
        guard context.channel.isActive else { return }
        // Respect backpressure: write only while the client keeps up, else wait for it.
        if context.channel.isWritable { self.write(context, text()) }
        self.after(context, interval) { self.repeatWrite(context, every: interval, text) }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 402: "Payment Required"
        case 404: "Not Found"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 529: "Overloaded"
        default: "Status"
        }
    }
}
