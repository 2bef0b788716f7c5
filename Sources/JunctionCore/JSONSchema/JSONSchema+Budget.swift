extension JSONSchema {
    /// Pattern matching steps allowed for one validation of `value`: 500,000, and 128 more per UTF-8 byte of its
    /// strings and keys.
    ///
    /// Matching costs up to (text length × pattern states), and both are untrusted: a 14-character pattern
    /// (`((a|aa)?){999}b`) compiles to 6,000 states, and a model can be led to answer a long string. The budget makes
    /// the cost linear in the value whatever the schema: 5 to 7 ns a step in a release build, so at most 3.5 ms
    /// plus 1 ms per KiB of text. Ordinary patterns take a few steps per character (an e-mail pattern,
    /// `^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$`, 7.5), so a string can meet a dozen of them before the budget
    /// matters; under AddressSanitizer in a debug build (the fuzzers) a step takes about 0.7 µs.
    static func patternBudget(for value: JSONValue) -> Int {
        var bytes = 0
        var pending = [value]
        while let next = pending.popLast() {
            switch next {
            case .string(let text):
                bytes += text.utf8.count
            case .array(let elements):
                pending += elements
            case .object(let object):
                for member in object.members {
                    bytes += member.key.utf8.count
                    pending.append(member.value)
                }
            default:
                break
            }
        }
        return 500_000 + 128 * bytes
    }
}
