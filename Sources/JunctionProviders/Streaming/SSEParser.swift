/// One server-sent event.
public struct SSEEvent: Sendable, Equatable {
    /// The `event:` name; nil means the default ("message").
    public var name: String?
    public var data: String
    public var id: String?

    public init(name: String? = nil, data: String, id: String? = nil) {
        self.name = name
        self.data = data
        self.id = id
    }
}

/// An incremental parser for `text/event-stream`, per the HTML living standard: LF, CR and CRLF line endings
/// (a CRLF split across two reads counts once), comments, multi-line `data:`, `event:` and `id:` fields, an
/// optional single space after the colon (DashScope omits it), and events split across arbitrary read
/// boundaries. An event is dispatched at a blank line; an unterminated event at end of stream is dropped, as
/// the standard says.
public struct SSEParser: Sendable {
    private var line: [UInt8] = []
    private var afterCR = false
    private var data: [UInt8] = []
    private var hasData = false
    private var name: String?
    private var id: String?
    /// Comment lines seen (`: keep-alive`): proof of life, nothing else.
    public private(set) var comments = 0

    public init() {}

    /// Feeds bytes and returns the events they completed.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [SSEEvent] {
        var events: [SSEEvent] = []
        for byte in bytes {
            if self.afterCR {
                self.afterCR = false
                if byte == 0x0A { continue }  // the LF of a CRLF
            }
            switch byte {
            case 0x0D:
                self.afterCR = true
                if let event = self.endLine() { events.append(event) }
            case 0x0A:
                if let event = self.endLine() { events.append(event) }
            default:
                self.line.append(byte)
            }
        }
        return events
    }

    private mutating func endLine() -> SSEEvent? {
        defer { self.line.removeAll(keepingCapacity: true) }
        if self.line.isEmpty { return self.dispatch() }
        if self.line[0] == UInt8(ascii: ":") {
            self.comments += 1
            return nil
        }
        let colon = self.line.firstIndex(of: UInt8(ascii: ":"))
        let field = colon.map { Array(self.line[..<$0]) } ?? self.line
        var valueStart = colon.map { $0 + 1 } ?? self.line.count
        if valueStart < self.line.count, self.line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let value = self.line[valueStart...]
        switch String(decoding: field, as: UTF8.self) {
        case "data":
            if self.hasData { self.data.append(0x0A) }
            self.data.append(contentsOf: value)
            self.hasData = true
        case "event":
            self.name = String(decoding: value, as: UTF8.self)
        case "id":
            if !value.contains(0) { self.id = String(decoding: value, as: UTF8.self) }
        default:
            break  // "retry" and unknown fields are ignored
        }
        return nil
    }

    private mutating func dispatch() -> SSEEvent? {
        defer {
            self.data.removeAll(keepingCapacity: true)
            self.hasData = false
            self.name = nil
        }
        guard self.hasData else { return nil }
        return SSEEvent(name: self.name, data: String(decoding: self.data, as: UTF8.self), id: self.id)
    }
}
