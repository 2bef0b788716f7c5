#if canImport(Glibc)
    import Glibc
#endif

/// The terminal `junctionctl top` draws on: raw input (no echo, no line buffering; Ctrl-C still signals), the
/// alternate screen with a hidden cursor, its size, and a guaranteed way back to how it was.
final class Terminal {
    private var saved = termios()
    private var active = false

    /// Whether standard output is a terminal.
    static var isInteractive: Bool { isatty(STDOUT_FILENO) == 1 && isatty(STDIN_FILENO) == 1 }

    /// Colours on a terminal when `NO_COLOR` is unset (https://no-color.org).
    static func wantsColor(environment: [String: String], tty: Bool) -> Bool {
        tty && (environment["NO_COLOR"] ?? "").isEmpty
    }

    /// Columns and rows from `TIOCGWINSZ`; nil when standard output is no terminal.
    static func size() -> (columns: Int, rows: Int)? {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return nil }
        return (Int(size.ws_col), Int(size.ws_row))
    }

    /// Raw mode, the alternate screen, the cursor hidden.
    func enter() {
        guard !self.active, tcgetattr(STDIN_FILENO, &self.saved) == 0 else { return }
        var raw = self.saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        // Reads return at once with what is there (the loop polls first).
        withUnsafeMutableBytes(of: &raw.c_cc) { bytes in
            bytes[Int(VMIN)] = 0
            bytes[Int(VTIME)] = 0
        }
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw)
        self.active = true
        Self.write("\u{1B}[?1049h\u{1B}[?25l\u{1B}[H\u{1B}[2J")
    }

    /// Back to the normal screen, the cursor shown and the saved modes. Safe to call twice.
    func leave() {
        guard self.active else { return }
        self.active = false
        // The alternate screen is cleared first: after a resize, tmux keeps the rows the normal screen lacked.
        Self.write("\u{1B}[0m\u{1B}[H\u{1B}[2J\u{1B}[?25h\u{1B}[?1049l")
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &self.saved)
    }

    /// Draws a whole frame over the last one: each line cleared to its end, the rest of the screen cleared.
    func draw(_ lines: [String]) {
        Self.write("\u{1B}[H" + lines.joined(separator: "\u{1B}[K\r\n") + "\u{1B}[K\u{1B}[J")
    }

    deinit {
        self.leave()
    }

    static func write(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                Glibc.write(STDOUT_FILENO, $0.baseAddress! + offset, $0.count - offset)
            }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}

/// Signals as bytes on a pipe (the only async-signal-safe way out of a handler), read by the loop's `poll`:
/// SIGWINCH redraws, SIGINT and SIGTERM restore the terminal and exit.
enum SignalPipe {
    nonisolated(unsafe) static var fds: [Int32] = [-1, -1]

    static func install(_ signals: [Int32]) {
        var pair: [Int32] = [-1, -1]
        guard pipe(&pair) == 0 else { return }
        for fd in pair { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        self.fds = pair
        signalWriteFD = pair[1]
        for number in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = signalPipeHandler
            sigemptyset(&action.sa_mask)
            sigaction(number, &action, nil)
        }
    }

    /// The signals delivered since the last call.
    static func drain() -> [Int32] {
        var buffer = [UInt8](repeating: 0, count: 64)
        var signals: [Int32] = []
        while true {
            let count = buffer.withUnsafeMutableBytes { read(self.fds[0], $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            signals += buffer.prefix(count).map(Int32.init)
        }
        return signals
    }
}

/// The write end, for the handler (a global: a C handler captures nothing).
nonisolated(unsafe) private var signalWriteFD: Int32 = -1

private let signalPipeHandler: @convention(c) (Int32) -> Void = { number in
    var byte = UInt8(truncatingIfNeeded: number)
    _ = write(signalWriteFD, &byte, 1)
}
