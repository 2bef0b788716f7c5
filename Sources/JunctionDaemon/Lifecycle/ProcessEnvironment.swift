#if canImport(Glibc)
import Glibc
#endif
import JunctionCore

/// Group lookups for `socket_group` and `admin_group`.
enum GroupDirectory {
    /// The gid of the group called `name`, or nil when there is no such group. A numeric name is taken as a gid.
    static func gid(named name: String) -> UInt32? {
        if let numeric = UInt32(name) { return numeric }
        var group = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        let status = getgrnam_r(name, &group, &buffer, buffer.count, &result)
        guard status == 0, result != nil else { return nil }
        return group.gr_gid
    }

    /// The user names listed as members of group `gid` in the group database.
    static func members(of gid: UInt32) -> [String] {
        var group = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 64 * 1024)
        guard getgrgid_r(gid, &group, &buffer, buffer.count, &result) == 0, result != nil, var member = group.gr_mem
        else { return [] }
        var names: [String] = []
        while let name = member.pointee {
            names.append(String(cString: name))
            member += 1
        }
        return names
    }

    /// The login name of `uid`, or nil when it has none.
    static func userName(of uid: UInt32) -> String? {
        var user = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        guard getpwuid_r(uid, &user, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return String(cString: user.pw_name)
    }
}
