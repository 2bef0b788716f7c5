/// Where the socket lives when nothing says otherwise, following how the daemon was started.
enum SocketLocation {
    /// `--socket` wins, then `server.socket` from the config, then `$RUNTIME_DIRECTORY` (systemd's
    /// `RuntimeDirectory=`), then `/run/junction` for root, then `$XDG_RUNTIME_DIR/junction` for a user.
    static func resolve(
        commandLine: String?,
        configured: String?,
        environment: [String: String],
        uid: UInt32
    ) -> String {
        if let commandLine { return commandLine }
        if let configured { return configured }
        if let runtime = environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first, !runtime.isEmpty {
            return "\(runtime)/junction.sock"
        }
        if uid == 0 { return "/run/junction/junction.sock" }
        if let xdg = environment["XDG_RUNTIME_DIR"], !xdg.isEmpty { return "\(xdg)/junction/junction.sock" }
        return "/tmp/junction-\(uid)/junction.sock"
    }
}
