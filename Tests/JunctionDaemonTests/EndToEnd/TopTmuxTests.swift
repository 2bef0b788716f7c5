import Foundation
import JunctionClient
import JunctionCore
import Testing

extension EndToEnd {
    /// `junctionctl top` in a real terminal: tmux runs it in a detached 80×24 session, `send-keys` presses its keys
    /// and `capture-pane` reads the screen. Every step polls the pane; nothing sleeps for a guessed time.
    @Suite(
        "junctionctl top under tmux",
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"),
            "tmux is not installed (apt-get install tmux)")
    )
    struct TopTmuxTests {
        /// A tmux server of its own (its own socket), removed at the end.
        final class Tmux {
            /// Its own directory: the server must be killed before its socket goes (a daemon's directory may be
            /// removed first, and the server would live on).
            private let directory: TemporaryDirectory
            let socket: String

            init() throws {
                self.directory = try TemporaryDirectory()
                self.socket = self.directory.path + "/tmux.sock"
            }

            /// Starts the server with a detached session. Neither through `runCommand` nor `Process`: the server
            /// the client forks keeps what it inherited open, and both then wait for it forever. A plain
            /// `posix_spawn` with the standard descriptors on /dev/null, and `waitpid` for the client alone.
            func start(_ arguments: [String]) throws {
                let argv = (["/usr/bin/tmux", "-S", self.socket] + arguments).map { (text: String) in strdup(text) }
                let envp = ["PATH=/usr/bin:/bin", "TERM=xterm"].map { (text: String) in strdup(text) }
                defer { (argv + envp).forEach { free($0) } }
                var actions = posix_spawn_file_actions_t()
                posix_spawn_file_actions_init(&actions)
                defer { posix_spawn_file_actions_destroy(&actions) }
                for fd in [Int32(0), 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0) }
                // No blocked signals and default dispositions: the test runner blocks some, and a server (and the
                // shell in its pane) inheriting that mask would outlive kill-server.
                var attributes = posix_spawnattr_t()
                posix_spawnattr_init(&attributes)
                defer { posix_spawnattr_destroy(&attributes) }
                var none = sigset_t()
                sigemptyset(&none)
                posix_spawnattr_setsigmask(&attributes, &none)
                var defaults = sigset_t()
                sigemptyset(&defaults)
                for signal in [SIGHUP, SIGINT, SIGTERM, SIGCHLD, SIGPIPE, SIGWINCH] { sigaddset(&defaults, signal) }
                posix_spawnattr_setsigdefault(&attributes, &defaults)
                posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
                var pid: pid_t = 0
                let spawned = posix_spawn(&pid, "/usr/bin/tmux", &actions, &attributes, argv + [nil], envp + [nil])
                guard spawned == 0 else { throw DaemonFailed(message: "cannot start tmux: error \(spawned)") }
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }

            @discardableResult
            func run(_ arguments: [String]) throws -> CommandResult {
                try runCommand(
                    "/usr/bin/tmux", ["-S", self.socket] + arguments,
                    environment: ["PATH": "/usr/bin:/bin", "TERM": "xterm"])
            }

            /// The visible screen, one string per line.
            func screen() throws -> [String] {
                try self.run(["capture-pane", "-p", "-t", "top"]).stdout.split(
                    separator: "\n", omittingEmptySubsequences: false
                )
                .map(String.init)
            }

            func format(_ format: String) throws -> String {
                try self.run(["display-message", "-p", "-t", "top", format]).stdout
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }

            func waitForScreen(_ what: String, timeout: Duration = .seconds(15), _ condition: ([String]) -> Bool) throws
            {
                var last: [String] = []
                try poll(until: "\(what); screen:\n\(last.joined(separator: "\n"))", timeout: timeout) {
                    last = try self.screen()
                    return condition(last)
                }
            }

            deinit {
                _ = try? self.run(["kill-server"])
            }
        }

        @Test func liveViewSortsHelpsResizesSurvivesARestartAndRestoresTheTerminal() throws {
            let sim = try SimProcess()
            let daemon = try sim.daemon()
            let client = try daemon.client()
            for _ in 0..<3 { _ = try client.call("generate", params: ["prompt": "hi", "model": "openai:gpt-4o-mini"]) }
            let tmux = try Tmux()
            defer { _ = try? tmux.run(["kill-server"]) }
            try tmux.start([
                "new-session", "-d", "-s", "top", "-x", "80", "-y", "24", "env", "-u", "NO_COLOR", "PS1=shell$ ", "sh",
            ])
            try tmux.waitForScreen("the shell's prompt") { $0.contains { $0.hasPrefix("shell$") } }
            try tmux.run([
                "send-keys", "-t", "top", "\(binaryDirectory())/junctionctl --socket \(daemon.socket) top", "Enter",
            ])

            // The provider rows, with the three requests counted in the rate window.
            try tmux.waitForScreen("the openai row with requests") { screen in
                guard let header = screen.first(where: { $0.hasPrefix("PROVIDER/MODEL") }),
                    let row = screen.first(where: { $0.hasPrefix("openai ") })
                else { return false }
                let titles = header.split(separator: " ").map(String.init)
                let cells = row.split(separator: " ").map(String.init)
                guard let column = titles.firstIndex(of: "REQ/MIN"), column < cells.count else { return false }
                return (Int(cells[column]) ?? 0) > 0 && screen.contains { $0.hasPrefix("  gpt-4o-mini") }
            }
            #expect(try tmux.format("#{alternate_on}") == "1")
            #expect(try tmux.format("#{cursor_flag}") == "0")  // hidden
            let first = try tmux.screen()
            #expect(first.contains("sort: name"))
            #expect(first.contains { $0.hasPrefix("q quit") })
            #expect(!first.contains { $0.contains("TOK/MIN") })  // not at 80 columns

            try tmux.run(["send-keys", "-t", "top", "s"])
            try tmux.waitForScreen("the sort indicator changed") { $0.contains("sort: requests") }
            try tmux.run(["send-keys", "-t", "top", "?"])
            try tmux.waitForScreen("the help") { $0.contains { $0.contains("sort by the next column") } }
            try tmux.run(["send-keys", "-t", "top", "?"])
            try tmux.waitForScreen("the table again") { $0.contains { $0.hasPrefix("PROVIDER/MODEL") } }

            // SIGWINCH: the frame fills the larger window and shows the columns that now fit.
            try tmux.run(["resize-window", "-t", "top", "-x", "100", "-y", "30"])
            try tmux.waitForScreen("a 100×30 frame") { screen in
                screen.count >= 30 && screen[29].hasPrefix("q quit")
                    && screen.contains { $0.hasPrefix("PROVIDER/MODEL") && $0.contains("TOK/MIN") }
            }

            // The daemon goes away: the view says so and keeps trying; it comes back: the view recovers.
            try daemon.stop()
            try tmux.waitForScreen("disconnected, retrying") { $0.contains { $0.contains("disconnected, retrying") } }
            let restarted = try DaemonProcess(
                config: try String(contentsOfFile: daemon.configPath, encoding: .utf8), socket: daemon.socket,
                environment: SimProcess.keys.merging(["STATE_DIRECTORY": daemon.directory.path]) { $1 }
            )
            try tmux.waitForScreen("reconnected") { screen in
                !screen.contains { $0.contains("disconnected") } && screen.contains { $0.hasPrefix("openai ") }
                    && screen.contains { $0.contains("up ") && $0.hasPrefix("junctiond") }
            }
            _ = restarted

            // q: back to the shell, on the normal screen, the cursor shown again.
            try tmux.run(["send-keys", "-t", "top", "q"])
            try poll(until: "the alternate screen left", timeout: .seconds(10)) {
                try tmux.format("#{alternate_on}") == "0"
            }
            try tmux.waitForScreen("the shell restored") { screen in
                // The command as typed, then a fresh prompt: the shell's screen, not top's frame.
                screen.filter { $0.hasPrefix("shell$") }.count >= 2
                    && !screen.contains { $0.hasPrefix("PROVIDER/MODEL") }
            }
            #expect(try tmux.format("#{cursor_flag}") == "1")
            #expect(try tmux.format("#{pane_dead}") == "0")
        }
    }
}
