#if canImport(Glibc)
import Glibc
#endif
import CSystemd
import NIOCore

/// Who is on the other end of a connection, as the kernel reports it (`SO_PEERCRED`, `SO_PEERGROUPS`): not
/// something the client can claim, so it is safe to authorise on. Everything is taken when the connection is
/// accepted, and describes the process as it was when it connected; nothing is looked up later by pid, which
/// another process may have by then.
public struct PeerCredentials: Sendable, Equatable, CustomStringConvertible {
    public var uid: UInt32
    public var gid: UInt32
    public var pid: Int32
    /// Supplementary groups at connect time (gid 0 is never listed: see `parseGroups`).
    public var groups: [UInt32]

    public init(uid: UInt32, gid: UInt32, pid: Int32, groups: [UInt32] = []) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
        self.groups = groups
    }

    public var description: String { "uid=\(self.uid) gid=\(self.gid) pid=\(self.pid)" }

    /// Reads the peer credentials and groups of an accepted Unix socket channel. Must run on the channel's event
    /// loop.
    static func read(from channel: Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        let credentials: EventLoopFuture<junction_peer_credentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET),
            name: SocketOptionName(SO_PEERCRED)
        )
        return credentials.flatMap { credentials in
            let groups: EventLoopFuture<junction_peer_groups> = provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET),
                name: SocketOptionName(junction_so_peergroups)
            )
            return groups.map { buffer -> PeerCredentials in
                let gids = withUnsafeBytes(of: buffer) { Array($0.bindMemory(to: UInt32.self)) }
                return PeerCredentials(
                    uid: credentials.uid,
                    gid: credentials.gid,
                    pid: credentials.pid,
                    groups: Self.parseGroups(gids)
                )
            }.flatMapErrorThrowing { _ in
                // More groups than the buffer holds (ERANGE), or a kernel before 4.13: the process's group list,
                // read while the connection is being accepted (a far narrower window for pid reuse than a look-up
                // at call time, and only for processes in more than 256 groups).
                PeerCredentials(
                    uid: credentials.uid,
                    gid: credentials.gid,
                    pid: credentials.pid,
                    groups: Self.groupsOfProcess(credentials.pid)
                )
            }
        }
    }

    /// The groups in a zero-filled `SO_PEERGROUPS` buffer. The kernel lists them sorted ascending, so the list
    /// ends where the values stop rising. A 0 is indistinguishable from the padding and is dropped: membership of
    /// the root group is never granted through this list (the primary gid and `/etc/group` still count).
    static func parseGroups(_ buffer: [UInt32]) -> [UInt32] {
        var groups: [UInt32] = []
        for gid in buffer where gid != 0 {
            if let last = groups.last, gid <= last { break }
            groups.append(gid)
        }
        return groups
    }

    /// The supplementary groups of process `pid`, from `/proc/PID/status`; empty if the process is gone.
    static func groupsOfProcess(_ pid: Int32) -> [UInt32] {
        guard let status = readSmallFile("/proc/\(pid)/status") else { return [] }
        for line in status.split(separator: "\n") where line.hasPrefix("Groups:") {
            return line.dropFirst("Groups:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
                .compactMap { UInt32($0) }.filter { $0 != 0 }
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
        return peer.gid == group || peer.groups.contains(group)
            || GroupDirectory.members(of: group).contains { $0 == GroupDirectory.userName(of: peer.uid) }
    }
}
