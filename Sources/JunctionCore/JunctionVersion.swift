/// The version of Junction, reported by `ping`, `daemon.status` and `--version`.
public enum JunctionVersion {
    public static let current = "0.1.0"
}
