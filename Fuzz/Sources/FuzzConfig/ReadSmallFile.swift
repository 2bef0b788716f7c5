/// `ConfigLoader.load(path:)` reads files with the daemon's `readSmallFile` (in its RPC folder, which this fuzz
/// target does not compile). The fuzzer only calls `ConfigLoader.parse(text:)`, so loading from a path is
/// unavailable here by design.
func readSmallFile(_ path: String, limit: Int = 1 << 20) -> String? {
    nil
}
