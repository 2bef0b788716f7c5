#if canImport(Glibc)
import Glibc
#endif

/// Preparing the path of the listening socket: its directory, and whatever an earlier run left there.
enum SocketFile {
    enum Problem: Error, CustomStringConvertible {
        case inUse(path: String)
        case notASocket(path: String)
        case cannotCreateDirectory(path: String, errno: Int32)
        case cannotRemove(path: String, errno: Int32)
        case pathTooLong(path: String)

        var description: String {
            switch self {
            case .inUse(let path):
                "another junctiond is already serving on \(path) (it answered a connection); stop it first or use --socket"
            case .notASocket(let path):
                "\(path) exists and is not a socket; refusing to replace it"
            case .cannotCreateDirectory(let path, let code):
                "cannot create socket directory \(path): \(String(cString: strerror(code)))"
            case .cannotRemove(let path, let code):
                "cannot remove stale socket \(path): \(String(cString: strerror(code)))"
            case .pathTooLong(let path):
                "socket path is too long for a Unix socket (at most 107 bytes): \(path)"
            }
        }
    }

    /// Makes the socket's directory if needed and removes a stale socket file from a crashed run. A socket that
    /// a live process still accepts connections on is left alone.
    static func prepare(path: String) throws(Problem) {
        guard path.utf8.count < 108 else { throw .pathTooLong(path: path) }
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        if !directory.isEmpty { try self.makeDirectories(directory) }

        var status = stat()
        guard lstat(path, &status) == 0 else { return }  // nothing there
        guard status.st_mode & S_IFMT == S_IFSOCK else { throw .notASocket(path: path) }
        if self.acceptsConnections(path: path) { throw .inUse(path: path) }
        guard unlink(path) == 0 || errno == ENOENT else { throw .cannotRemove(path: path, errno: errno) }
    }

    /// Applies the configured permissions after bind; the group is optional (nil keeps the daemon's group).
    static func applyPermissions(path: String, mode: UInt32, groupID: UInt32?) -> String? {
        if chmod(path, mode_t(mode)) != 0 {
            return "cannot set mode \(String(mode, radix: 8)) on \(path): \(String(cString: strerror(errno)))"
        }
        if let groupID, chown(path, uid_t.max, gid_t(groupID)) != 0 {
            return "cannot set group of \(path) to gid \(groupID): \(String(cString: strerror(errno)))"
        }
        return nil
    }

    /// True when something is listening on the socket at `path`.
    static func acceptsConnections(path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.prefix(buffer.count - 1).enumerated() { buffer[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }

    /// The path a listening Unix socket is bound to (for a socket systemd passed us), or nil when unnamed.
    static func boundPath(of fd: Int32) -> String? {
        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0, address.sun_family == sa_family_t(AF_UNIX) else { return nil }
        let path = withUnsafeBytes(of: &address.sun_path) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return path.isEmpty ? nil : path
    }

    private static func makeDirectories(_ directory: String) throws(Problem) {
        var status = stat()
        if stat(directory, &status) == 0 { return }
        let parent = String(directory[..<(directory.lastIndex(of: "/") ?? directory.startIndex)])
        if !parent.isEmpty { try self.makeDirectories(parent) }
        if mkdir(directory, 0o755) != 0, errno != EEXIST {
            throw .cannotCreateDirectory(path: directory, errno: errno)
        }
    }
}

/// Whether something accepts TCP connections on a loopback port, waiting at most `timeout`: how the daemon
/// notices a local Ollama when it runs without a configuration file.
enum LoopbackProbe {
    static func accepts(port: UInt16, timeout: Duration = .milliseconds(200)) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let started = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if started == 0 { return true }
        guard errno == EINPROGRESS else { return false }
        var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&poller, 1, Int32(timeout.milliseconds)) == 1 else { return false }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        return error == 0
    }
}
