#if canImport(Glibc)
import Glibc
#endif

/// Stops the run when an invariant does not hold: libFuzzer sees the abort, saves the input as a crash artifact
/// and prints its reproducer. So a fuzz target finds logic errors (a round trip that differs, a line longer than
/// the limit), not only crashes.
public func fuzzCheck(
    _ condition: Bool,
    _ message: @autoclosure () -> String,
    file: StaticString = #fileID,
    line: UInt = #line
) {
    guard !condition else { return }
    // write(2) rather than stderr: the C global is not concurrency-safe in Swift 6.
    let text = Array("fuzz invariant failed at \(file):\(line): \(message())\n".utf8)
    _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}
