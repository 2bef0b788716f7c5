#if canImport(Glibc)
import Glibc
#endif

/// Where a client looks for the daemon's socket when not told: `$JUNCTION_SOCKET`, then the per-user socket
/// (`$XDG_RUNTIME_DIR/junction/junction.sock`), then the system service's (`/run/junction/junction.sock`).
public enum SocketCandidates {
    public static func all(environment: [String: String]) -> [String] {
        var candidates: [String] = []
        if let explicit = environment["JUNCTION_SOCKET"], !explicit.isEmpty { candidates.append(explicit) }
        if getuid() != 0, let xdg = environment["XDG_RUNTIME_DIR"], !xdg.isEmpty {
            candidates.append("\(xdg)/junction/junction.sock")
        }
        candidates.append("/run/junction/junction.sock")
        return candidates
    }

    /// The first candidate that exists, else the first candidate.
    public static func pick(environment: [String: String]) -> String {
        let candidates = self.all(environment: environment)
        for candidate in candidates where access(candidate, F_OK) == 0 { return candidate }
        return candidates[0]
    }
}
