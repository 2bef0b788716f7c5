import FuzzSupport

/// The configuration loader (TOMLKit's parser, then the daemon's reading of every table and key) on arbitrary
/// text. Loading must either succeed or report problems, each on a line of the file (or on none), and it must be
/// deterministic: the same text gives the same problems twice.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // Built with NDEBUG, the parser reports what would abort a daemon build; the child-process probe would only
    // cost a fork per input.
    TOMLDocument.isolatesParser = false
    let input = FuzzInput(data, size)
    // TOML is UTF-8; the loader receives a Swift String, so invalid bytes were already repaired by the reader.
    let text = String(decoding: input.bytes, as: UTF8.self)
    let environment = ["OPENAI_API_KEY": "sk-fuzz-0123456789abcdef", "JUNCTION_FUZZ_URL": "http://127.0.0.1:9"]
    let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
    let first = problems(text, environment)
    for problem in first {
        if let line = problem.line {
            fuzzCheck(line >= 1 && line <= lineCount + 1, "problem on line \(line) of \(lineCount): \(problem)")
        }
        fuzzCheck(!problem.message.isEmpty, "problem without a message")
        fuzzCheck(!problem.description.contains("sk-fuzz-0123456789abcdef"), "a key in a problem: \(problem)")
    }
    fuzzCheck(problems(text, environment) == first, "loading is not deterministic")
    return 0
}

private func problems(_ text: String, _ environment: [String: String]) -> [ConfigProblem] {
    do {
        _ = try ConfigLoader.parse(text: text, file: "fuzz.toml", environment: environment)
        return []
    } catch {
        return error.problems
    }
}
