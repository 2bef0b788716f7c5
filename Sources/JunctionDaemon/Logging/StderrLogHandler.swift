#if canImport(Glibc)
import Glibc
#endif
import Logging

/// Readable log lines on stderr: `2026-11-21T10:00:00.123Z info  listening socket=/run/junction/junction.sock`.
struct StderrLogHandler: LogHandler {
    let label: String
    let level: LogLevelBox
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String, level: LogLevelBox) {
        self.label = label
        self.level = level
    }

    var logLevel: Logger.Level {
        get { self.level.level }
        set { self.level.level = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        // Every finished request logs a line: it is built straight into bytes, and the handler's own metadata
        // is merged only when there is some (the daemon's loggers usually have none).
        var merged = event.metadata ?? [:]
        if let provided = self.metadataProvider?.get() { merged.merge(provided) { event, _ in event } }
        if !self.metadata.isEmpty { merged.merge(self.metadata) { event, _ in event } }
        var line: [UInt8] = []
        line.reserveCapacity(256)
        Self.appendTimestamp(to: &line)
        line.append(UInt8(ascii: " "))
        let level = event.level.rawValue.utf8
        line.append(contentsOf: level)
        line.append(contentsOf: repeatElement(UInt8(ascii: " "), count: max(1, 8 - level.count)))
        line.append(contentsOf: "\(event.message)".utf8)
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: key.utf8)
            line.append(UInt8(ascii: "="))
            switch value {
            case .string(let text): Self.appendQuoted(text, to: &line)
            case let value: Self.appendQuoted(value.description, to: &line)
            }
        }
        line.append(UInt8(ascii: "\n"))
        // One write(2) per line keeps lines from different threads whole.
        line.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(STDERR_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0, errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// `value` as is, or in double quotes (with `"` and newlines escaped) when it is empty or has a space, a quote
    /// or a newline.
    private static func appendQuoted(_ value: String, to line: inout [UInt8]) {
        let bytes = value.utf8
        guard bytes.isEmpty || bytes.contains(where: { $0 == 0x20 || $0 == 0x22 || $0 == 0x0A }) else {
            line.append(contentsOf: bytes)
            return
        }
        line.append(0x22)
        for byte in bytes {
            switch byte {
            case 0x22: line.append(contentsOf: [0x5C, 0x22])
            case 0x0A: line.append(contentsOf: [0x5C, 0x6E])
            default: line.append(byte)
            }
        }
        line.append(0x22)
    }

    /// UTC, millisecond precision, without Foundation: `2026-11-21T10:00:00.123Z`.
    private static func appendTimestamp(to line: inout [UInt8]) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                line.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1900, 4)
        line.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2)
        line.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2)
        line.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2)
        line.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2)
        line.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        line.append(UInt8(ascii: "."))
        digits(Int(now.tv_nsec / 1_000_000), 3)
        line.append(UInt8(ascii: "Z"))
    }
}
