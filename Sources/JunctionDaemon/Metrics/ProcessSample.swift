#if canImport(Glibc)
    import Glibc
#endif

/// The standard `process_*` metrics, read from `/proc/self` at scrape time: `stat` (CPU time, start time),
/// `statm` (memory), `fd` (open descriptors) and the descriptor limit (`getrlimit`, what `/proc/self/limits` shows
/// as "Max open files").
struct ProcessSample: Sendable, Equatable {
    var residentBytes: Double
    var virtualBytes: Double
    var cpuSeconds: Double
    var openFDs: Double
    var maxFDs: Double
    var startTimeSeconds: Double

    /// The numbers now; nil where /proc cannot be read (not Linux, or a sandbox that hides it).
    static func read() -> ProcessSample? {
        guard let stat = Self.contents(of: "/proc/self/stat"), let statm = Self.contents(of: "/proc/self/statm"),
            let boot = Self.systemBootTime
        else { return nil }
        var limit = rlimit()
        let maxFDs = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 ? Double(limit.rlim_cur) : 0
        return Self.parse(
            stat: stat, statm: statm, bootTime: boot, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))),
            pageSize: Double(sysconf(Int32(_SC_PAGESIZE))), openFDs: Self.countOpenFDs(), maxFDs: maxFDs
        )
    }

    /// Parses `/proc/self/stat` and `/proc/self/statm` (proc(5)). The command name in `stat` may hold spaces and
    /// parentheses, so fields are counted from the last `)`.
    static func parse(
        stat: String, statm: String, bootTime: Double, ticksPerSecond: Double, pageSize: Double, openFDs: Double,
        maxFDs: Double
    ) -> ProcessSample? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        // Field 3 (state) is the first after the name: field n is at index n - 3.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let pages = statm.split(separator: " ")
        guard fields.count > 21, pages.count > 1, ticksPerSecond > 0,
            let utime = Double(fields[11]), let stime = Double(fields[12]), let start = Double(fields[19]),
            let size = Double(pages[0]), let resident = Double(pages[1])
        else { return nil }
        return ProcessSample(
            residentBytes: resident * pageSize, virtualBytes: size * pageSize,
            cpuSeconds: (utime + stime) / ticksPerSecond, openFDs: openFDs, maxFDs: maxFDs,
            startTimeSeconds: bootTime + start / ticksPerSecond
        )
    }

    /// Read once: the boot time does not change while the daemon runs.
    private static let systemBootTime: Double? = Self.contents(of: "/proc/stat").flatMap(Self.bootTime)

    /// `btime` of `/proc/stat`: the boot time in Unix seconds.
    static func bootTime(_ stat: String) -> Double? {
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters())
        }
        return nil
    }

    private static func countOpenFDs() -> Double {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = entry.pointee.d_name.0
            if name != CChar(UInt8(ascii: ".")) { count += 1 }  // skips "." and ".." (no descriptor's name starts so)
        }
        // The directory stream itself holds one descriptor while it is read.
        return Double(max(0, count - 1))
    }

    /// A small /proc file whole (their sizes read as 0, so read until EOF).
    private static func contents(of path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { return count == 0 ? String(decoding: bytes, as: UTF8.self) : nil }
            bytes += chunk[0..<count]
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> Substring {
        var text = self
        while let last = text.last, last == " " || last == "\n" { text.removeLast() }
        return text
    }
}
