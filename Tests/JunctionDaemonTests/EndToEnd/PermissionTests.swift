import Foundation
import JunctionClient
import JunctionCore
import Testing

extension EndToEnd {
    /// Peer credentials for real: a client running as another uid, with the socket opened to everyone.
    @Suite("Caller identity and admin methods", .enabled(if: getuid() == 0, "needs root to run a client as nobody"))
    struct PermissionTests {
        private func daemonReachableByNobody(config: String = "") throws -> DaemonProcess {
            let daemon = try DaemonProcess(config: "[server]\nsocket_mode = \"0666\"\n" + config)
            chmod(daemon.directory.path, 0o755)  // let nobody reach the socket inside the private directory
            return daemon
        }

        private func ctlAsNobody(_ daemon: DaemonProcess, _ arguments: [String], group: String = "nogroup") throws -> CommandResult {
            try runCommand(
                "/usr/bin/setpriv",
                ["--reuid=nobody", "--regid=\(group)", "--clear-groups", binaryDirectory() + "/junctionctl", "--socket", daemon.socket]
                    + arguments
            )
        }

        @Test func anUnprivilegedCallerMayPingButNotAdminister() throws {
            let daemon = try self.daemonReachableByNobody()
            let ping = try self.ctlAsNobody(daemon, ["ping"])
            #expect(ping.status == 0, "\(ping.stderr)")
            let status = try self.ctlAsNobody(daemon, ["call", "daemon.status"])
            #expect(status.status == 0)
            let reload = try self.ctlAsNobody(daemon, ["reload"])
            #expect(reload.status == 1)
            #expect(reload.stderr.contains("error -32004: Permission denied"))
            // Root is allowed.
            #expect(try daemon.client().call("admin.reload")["reloaded"] == true)
            #expect(daemon.log.contains("refused admin method"))
        }

        @Test func membersOfTheAdminGroupMayAdminister() throws {
            // nobody's primary group made the admin group: admitted through SO_PEERCRED's gid.
            let daemon = try self.daemonReachableByNobody(config: "admin_group = \"nogroup\"\n")
            let reload = try self.ctlAsNobody(daemon, ["reload"])
            #expect(reload.status == 0, "\(reload.stderr)")
            // ... and a different group is not enough.
            let strict = try self.daemonReachableByNobody(config: "admin_group = \"root\"\n")
            #expect(try self.ctlAsNobody(strict, ["reload"]).status == 1)
        }

        @Test func theCallerIsIdentifiedByTheKernelNotByTheRequest() throws {
            let daemon = try self.daemonReachableByNobody()
            // A client cannot claim to be root: there is nothing in the protocol to claim it with.
            let forged = try self.ctlAsNobody(daemon, ["call", "admin.reload", #"{"uid": 0}"#])
            #expect(forged.status == 1)
            #expect(forged.stderr.contains("-32004"))
        }
    }
}
