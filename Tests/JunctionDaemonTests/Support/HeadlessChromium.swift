import Foundation
import NIOConcurrencyHelpers

/// Debian's `chromium`, headless, for tests that load the dashboard in a real browser.
enum HeadlessChromium {
    static let path = "/usr/bin/chromium"

    /// One browser at a time in the test process: two headless Chromiums started together by parallel tests were
    /// seen to exit with status 5 on this 2-core machine.
    private static let oneAtATime = NIOLock()

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

    /// One more try when chromium fails to start: its first start on a loaded machine (fresh profile, font
    /// cache) was seen exiting with status 5 once, and passing on the next run.
    private static func run(_ urls: [String], extra: [String], virtualTimeMs: Int) throws -> CommandResult {
        try Self.oneAtATime.withLock { try Self.runSerialized(urls, extra: extra, virtualTimeMs: virtualTimeMs) }
    }

    private static func runSerialized(_ urls: [String], extra: [String], virtualTimeMs: Int) throws -> CommandResult {
        let first = try self.runOnce(urls, extra: extra, virtualTimeMs: virtualTimeMs)
        guard first.status != 0 else { return first }
        print("chromium exited with \(first.status), trying once more: \(first.stderr.suffix(500))")
        return try self.runOnce(urls, extra: extra, virtualTimeMs: virtualTimeMs)
    }

    private static func runOnce(_ urls: [String], extra: [String], virtualTimeMs: Int) throws -> CommandResult {
        let profile = try TemporaryDirectory()
        let arguments =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=\(virtualTimeMs)",
                "--user-data-dir=\(profile.path)", "--no-first-run", "--disable-extensions",
                "--disable-background-networking", "--disable-dev-shm-usage",
            ] + extra + urls
        return try runCommand(Self.path, arguments, environment: ["HOME": profile.path, "PATH": "/usr/bin:/bin"])
    }
}
