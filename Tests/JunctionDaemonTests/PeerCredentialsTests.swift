import Testing

@testable import JunctionDaemon

/// Issue 8, defect 15: the admin check uses the groups the kernel recorded when the client connected.
@Suite("Peer credentials")
struct PeerCredentialsTests {
    @Test func groupsEndWhereTheSortedListStops() {
        // SO_PEERGROUPS fills the front of a zeroed buffer with the sorted groups.
        #expect(PeerCredentials.parseGroups([4, 24, 27, 1001, 0, 0, 0]) == [4, 24, 27, 1001])
        #expect(PeerCredentials.parseGroups([0, 0, 0, 0]) == [])
        // Root's group cannot be told from padding: it is never listed.
        #expect(PeerCredentials.parseGroups([0, 10, 20, 0]) == [10, 20])
        #expect(PeerCredentials.parseGroups([5, 9, 3, 0]) == [5, 9])
    }

    @Test func adminGroupMembershipComesFromTheConnectTimeGroups() {
        let policy = AdminPolicy(daemonUID: 990, adminGroupID: 4242)
        let member = PeerCredentials(uid: 1000, gid: 1000, pid: 1, groups: [27, 4242])
        let outsider = PeerCredentials(uid: 1001, gid: 1001, pid: 1, groups: [27])
        #expect(policy.permits(member))
        #expect(!policy.permits(outsider))
        // pid 1 (init) is in no such group: nothing is looked up by pid any more.
        #expect(policy.permits(PeerCredentials(uid: 1002, gid: 4242, pid: 1)))
        #expect(policy.permits(PeerCredentials(uid: 0, gid: 0, pid: 1)))
        #expect(policy.permits(PeerCredentials(uid: 990, gid: 990, pid: 1)))
    }
}
