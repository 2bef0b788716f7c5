#if canImport(Glibc)
import Glibc
#endif
import CSystemd
import NIOCore

/// Who is on the other end of a connection, as the kernel reports it (`SO_PEERCRED`): not something the client
/// can claim, so it is safe to authorise on.
public struct PeerCredentials: Sendable, Equatable, CustomStringConvertible {
    public var uid: UInt32
    public var gid: UInt32
    public var pid: Int32

    public init(uid: UInt32, gid: UInt32, pid: Int32) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
    }

    public var description: String { "uid=\(self.uid) gid=\(self.gid) pid=\(self.pid)" }

    /// Reads the peer credentials of an accepted Unix socket channel. Must run on the channel's event loop.
    static func read(from channel: Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        let future: EventLoopFuture<junction_peer_credentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET),
            name: SocketOptionName(SO_PEERCRED)
        )
        return future.map { PeerCredentials(uid: $0.uid, gid: $0.gid, pid: $0.pid) }
    }

    /// The supplementary groups of the peer process, from `/proc/PID/status`; empty if the process is gone.
    func supplementaryGroups() -> [UInt32] {
        guard let status = readSmallFile("/proc/\(self.pid)/status") else { return [] }
        for line in status.split(separator: "\n") where line.hasPrefix("Groups:") {
            return line.dropFirst("Groups:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
                .compactMap { UInt32($0) }
        }
        return []
    }
}

/// Reads a small text file with plain POSIX calls (procfs files report size 0, so read until EOF).
func readSmallFile(_ path: String, limit: Int = 1 << 20) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while bytes.count < limit {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            return nil
        }
        if count == 0 { break }
        bytes.append(contentsOf: chunk[0..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Who may call `admin.*` methods: root, the daemon's own user, and members of the configured admin group.
struct AdminPolicy: Sendable, Equatable {
    var daemonUID: UInt32
    /// The admin group's gid, or nil when none is configured or the group does not exist.
    var adminGroupID: UInt32?

    func permits(_ peer: PeerCredentials) -> Bool {
        if peer.uid == 0 || peer.uid == self.daemonUID { return true }
        guard let group = self.adminGroupID else { return false }
        // The process's own group list is the truth; /etc/group membership covers a daemon that cannot see
        // other users' processes (systemd's ProtectProc=invisible).
        return peer.gid == group || peer.supplementaryGroups().contains(group)
            || GroupDirectory.members(of: group).contains { $0 == GroupDirectory.userName(of: peer.uid) }
    }
}
