import ArgumentParser
import JunctionClient
import JunctionCore

#if canImport(Glibc)
import Glibc
#endif

/// `junctionctl top`: a live, full-screen view of `stats.snapshot`, refreshed every second.
struct Top: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A live view of providers and targets, like top (q quit, s sort, p pause, ? help).",
        discussion: "--once prints one frame and exits (for scripts and pipes: no escape codes unless a terminal)."
    )
    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print one frame and exit.")
    var once = false

    @Option(help: "Seconds between refreshes.")
    var interval: Double = 1

    @Option(help: "The first sort order: name, requests, latency, errors or cost.")
    var sort: String = TopSort.name.rawValue

    func validate() throws {
        guard self.interval >= 0.1, self.interval <= 3_600 else {
            throw ValidationError("--interval must be between 0.1 and 3600 seconds")
        }
        guard TopSort(rawValue: self.sort) != nil else {
            throw ValidationError("--sort must be one of \(TopSort.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let environment = ProcessEnvironment.current()
        if self.once {
            try self.printOnce(environment: environment)
            return
        }
        guard Terminal.isInteractive else {
            writeStderr("junctionctl top: standard input and output must be a terminal; use --once in scripts\n")
            throw ExitCode(ExitStatus.usage)
        }
        var session = TopSession(
            path: self.global.socketPath, timeout: min(self.global.timeout, 2), interval: self.interval,
            view: TopView(
                columns: 80, rows: 24, sort: TopSort(rawValue: self.sort) ?? .name,
                color: Terminal.wantsColor(environment: environment, tty: true)
            )
        )
        session.run()
    }

    /// One plain frame: escape codes only on a terminal (and colours only without `NO_COLOR`), every row when
    /// the output is not a terminal. Exits 3 with the reason when the daemon cannot be reached.
    private func printOnce(environment: [String: String]) throws {
        let snapshot = try self.global.call("stats.snapshot")
        if self.global.json {
            print(snapshot.compactText)
            return
        }
        let tty = isatty(STDOUT_FILENO) == 1
        let size = Terminal.size()
        let columns = size?.columns ?? Int(environment["COLUMNS"] ?? "") ?? 80
        let view = TopView(
            columns: columns, rows: size?.rows ?? 24, sort: TopSort(rawValue: self.sort) ?? .name,
            color: Terminal.wantsColor(environment: environment, tty: tty), unbounded: !tty
        )
        var lines = TopFrame.render(snapshot, view: view)
        if !tty {
            // The footer names keys a pipe cannot press.
            if lines.last == TopFrame.footer { lines.removeLast() }
        }
        writeStdout(lines.joined(separator: "\n") + "\n")
    }
}

/// The live loop: poll the daemon every `interval`, read keys and signals in between, redraw on each. A daemon
/// that goes away leaves the last snapshot on screen under "disconnected, retrying"; the next poll reconnects.
struct TopSession {
    let path: String
    let timeout: Double
    let interval: Double
    var view: TopView
    private var client: RPCClient?
    private var snapshot: JSONValue?

    init(path: String, timeout: Double, interval: Double, view: TopView) {
        self.path = path
        self.timeout = timeout
        self.interval = interval
        self.view = view
    }

    mutating func run() {
        let terminal = Terminal()
        SignalPipe.install([SIGWINCH, SIGINT, SIGTERM, SIGHUP])
        terminal.enter()
        defer { terminal.leave() }
        self.resize()
        var nextPoll = ContinuousClock.now
        while true {
            if ContinuousClock.now >= nextPoll {
                if !self.view.paused { self.poll() }
                nextPoll = ContinuousClock.now + .milliseconds(Int(self.interval * 1_000))
            }
            terminal.draw(TopFrame.render(self.snapshot, view: self.view))
            let wait = max(0, (nextPoll - ContinuousClock.now).milliseconds)
            var fds = [
                pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                pollfd(fd: SignalPipe.fds[0], events: Int16(POLLIN), revents: 0),
            ]
            _ = Glibc.poll(&fds, 2, Int32(clamping: wait))
            for signal in SignalPipe.drain() {
                switch signal {
                case SIGWINCH: self.resize()
                default:
                    terminal.leave()
                    exit(128 + signal)
                }
            }
            if fds[0].revents & Int16(POLLIN | POLLHUP) != 0 {
                guard self.handleKeys() else { return }
            }
        }
    }

    /// Applies the keys waiting on standard input; false: quit.
    private mutating func handleKeys() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
        // End of input (the terminal went away): nothing more can be asked for.
        guard count != 0 else { return false }
        for byte in buffer.prefix(max(0, count)) {
            switch byte {
            case UInt8(ascii: "q"), UInt8(ascii: "Q"): return false
            case UInt8(ascii: "s"): self.view.sort = self.view.sort.next
            case UInt8(ascii: "p"): self.view.paused.toggle()
            case UInt8(ascii: "?"), UInt8(ascii: "h"): self.view.help.toggle()
            case 0x1B: self.view.help = false
            default: break
            }
        }
        return true
    }

    private mutating func resize() {
        if let size = Terminal.size() {
            self.view.columns = size.columns
            self.view.rows = size.rows
        }
    }

    /// One `stats.snapshot`, reconnecting first when the last call failed.
    private mutating func poll() {
        do {
            if self.client == nil { self.client = try RPCClient(path: self.path, timeout: self.timeout) }
            self.snapshot = try self.client?.call("stats.snapshot")
            self.view.disconnected = nil
        } catch let error as RPCClient.ErrorReply {
            self.view.disconnected = error.message
            self.client = nil
        } catch {
            self.view.disconnected = "\(error)"
            self.client = nil
        }
    }
}
