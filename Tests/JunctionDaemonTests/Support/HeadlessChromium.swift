import Foundation

/// Debian's `chromium`, headless, for tests that load the dashboard in a real browser.
enum HeadlessChromium {
    static let path = "/usr/bin/chromium"

    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: Self.path) }

    /// Where screenshots are kept for humans after the test ends (not removed).
    static var outputDirectory: String {
        let directory = NSTemporaryDirectory() + "junction-test-output"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Loads `url`, lets the page run for `virtualTimeMs` of virtual time, and returns the DOM as it then is.
    static func dumpDOM(_ url: String, virtualTimeMs: Int = 5_000) throws -> String {
        let result = try self.run([url], extra: ["--dump-dom"], virtualTimeMs: virtualTimeMs)
        guard result.status == 0, !result.stdout.isEmpty else {
            throw DaemonFailed(message: "chromium --dump-dom failed (\(result.status)): \(result.stderr)")
        }
        return result.stdout
    }

    /// Saves a PNG of `url` at `width`×`height` to `path`.
    static func screenshot(
        _ url: String, to path: String, width: Int = 1366, height: Int = 768, dark: Bool = false,
        virtualTimeMs: Int = 5_000
    ) throws {
        var extra = ["--screenshot=\(path)", "--window-size=\(width),\(height)", "--hide-scrollbars"]
        if dark { extra.append("--blink-settings=preferredColorScheme=0") }  // 0: dark
        let result = try self.run([url], extra: extra, virtualTimeMs: virtualTimeMs)
        guard result.status == 0, FileManager.default.fileExists(atPath: path) else {
            throw DaemonFailed(message: "chromium --screenshot failed (\(result.status)): \(result.stderr)")
        }
    }

    /// Up to six tries when chromium fails to start: at the start of the whole suite, with every other test
    /// starting processes on two cores, it was seen exiting with status 5 (its zygote gone, "write: Broken
    /// pipe") before loading anything, twice in a row; the same run alone passes.
    private static func run(_ urls: [String], extra: [String], virtualTimeMs: Int) throws -> CommandResult {
        var result = try self.runOnce(urls, extra: extra, virtualTimeMs: virtualTimeMs)
        // Five more tries, further apart each time: a clean-clone CI rehearsal saw three in a row fail so.
        for attempt in 2...6 where result.status != 0 {
            print("chromium exited with \(result.status); try \(attempt) of 6: \(result.stderr.suffix(300))")
            usleep(UInt32(attempt) * 500_000)
            result = try self.runOnce(urls, extra: extra, virtualTimeMs: virtualTimeMs)
        }
        return result
    }

    private static func runOnce(_ urls: [String], extra: [String], virtualTimeMs: Int) throws -> CommandResult {
        let profile = try TemporaryDirectory()
        let arguments =
            [
                // No zygote and no /dev/shm: fewer processes and less shared state to fail on a busy machine.
                "--headless", "--no-sandbox", "--no-zygote", "--disable-gpu", "--disable-dev-shm-usage",
                "--virtual-time-budget=\(virtualTimeMs)",
                "--user-data-dir=\(profile.path)", "--no-first-run", "--disable-extensions",
                "--disable-background-networking",
            ] + extra + urls
        return try runCommand(Self.path, arguments, environment: ["HOME": profile.path, "PATH": "/usr/bin:/bin"])
    }
}
