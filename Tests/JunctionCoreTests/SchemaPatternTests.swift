import Testing

@testable import JunctionCore

@Suite("Schema patterns (ECMA-262 subset, linear time)")
struct SchemaPatternTests {
    private func matches(_ pattern: String, _ text: String) throws -> Bool {
        try SchemaPattern(pattern).matches(text)
    }

    @Test(arguments: [
        ("abc", "xxabcxx", true), ("^abc", "xabc", false), ("abc$", "abcx", false), ("^$", "", true),
        ("", "anything", true), ("a|b", "xbx", true), ("^(ab|cd)+$", "abcdab", true), ("^(ab|cd)+$", "abc", false),
        ("^a{2,3}$", "aa", true), ("^a{2,3}$", "aaaa", false), ("^a{2}$", "aa", true), ("^a{2,}$", "aaaaa", true),
        ("^a{2,}$", "a", false), ("^a?b*c+$", "c", true), ("^a+?$", "aaa", true), ("^[a-c]+$", "abcab", true),
        ("^[^a-c]+$", "xyz", true), ("^[^a-c]+$", "xaz", false), ("^.$", "\n", false), ("^.$", "😀", true),
        ("^\\d+$", "0123456789", true), ("^\\d$", "٣", false), ("^\\D$", "x", true), ("^\\w+$", "a_Z9", true),
        ("^\\w$", "é", false), ("^\\W$", "-", true), ("^\\s$", "\u{00A0}", true), ("^\\S$", " ", false),
        ("\\bfoo\\b", "a foo b", true), ("\\bfoo\\b", "afoob", false), ("\\Boo\\B", "afoob", true),
        ("^\\p{L}+$", "héllo世界", true), ("^\\p{Lu}$", "a", false), ("^\\P{L}$", "1", true),
        ("^\\p{gc=Nd}$", "٣", true), ("^[\\p{L}\\d]+$", "a1é", true), ("^\\u0041\\x42$", "AB", true),
        ("^\\u{1F600}$", "😀", true), ("^\\uD83D\\uDE00$", "😀", true), ("^\\t\\n$", "\t\n", true),
        ("^a{$", "a{", true), ("^x{1,a}$", "x{1,a}", true), ("^]$", "]", true), ("^\\.\\*$", ".*", true),
        ("^[\\d-z]+$", "1-z", true), ("^[\\]\\-]+$", "]-", true), ("^[]$", "a", false), ("^(?:ab)+$", "abab", true),
        ("^(?<year>\\d{4})-\\d{2}$", "2024-05", true), ("^\\cJ$", "\n", true), ("^\\0$", "\u{0}", true),
        ("^(a*)*$", "aaaa", true), ("^(a|)+b$", "aab", true),
        ("^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$", "a.b@c.io", true),
    ])
    func matchesLikeECMAScript(pattern: String, text: String, expected: Bool) throws {
        #expect(try self.matches(pattern, text) == expected, "/\(pattern)/ on \(text)")
    }

    @Test(arguments: [
        ("(?=a)", "lookahead is not supported"), ("(?!a)", "lookahead is not supported"),
        ("(?<=a)b", "lookbehind is not supported"), ("(a)\\1", "backreferences are not supported"),
        ("(?<n>a)\\k<n>", "backreferences are not supported"), ("(a", "missing ')'"), ("a)", "unmatched ')'"),
        ("*a", "nothing to repeat"), ("a**", "nothing to repeat"), ("^*", "nothing to repeat"),
        ("{2}", "nothing to repeat"), ("[b-a]", "character range out of order"), ("[a", "unterminated character class"),
        ("a{3,2}", "repetition bounds out of order"), ("a{1001}", "repetition bound above 1000"),
        ("(a{1000}){1000}", "pattern too large"), ("\\q", "invalid escape"), ("\\p{Script=Latin}", "Unicode script"),
        ("\\p{Nope}", "unknown Unicode property"), ("\\", "unexpected end of pattern"), ("(?i)a", "unsupported group"),
        ("\\uD800", "lone surrogate"),
        (String(repeating: "(", count: 65) + String(repeating: ")", count: 65), "nested deeper"),
    ])
    func refusesWhatItCannotMatchInLinearTime(pattern: String, problem: String) {
        #expect {
            _ = try SchemaPattern(pattern)
        } throws: { error in
            (error as? PatternError)?.message.contains(problem) == true
        }
    }

    @Test(arguments: ["a", "a|b|c", "(ab)*", "a{3}", "a{2,5}", "(a|bc){0,3}d+", "^x?$", "[a-z]{2,}|\\d", ""])
    func sizeIsMeasuredExactlyBeforeCompiling(pattern: String) throws {
        var parser = PatternParser(pattern)
        let node = try parser.parse()
        // The program has a final `match` besides what the node emits.
        #expect(try SchemaPattern(pattern).stateCount == node.instructionCount + 1, "\(pattern)")
    }

    @Test(.timeLimit(.minutes(1)))
    func catastrophicBacktrackingPatternsStayLinear() throws {
        // Swift's Regex needs about 2^n steps for these; a Pike VM needs n × program size.
        let text = String(repeating: "a", count: 20_000) + "b"
        #expect(try self.matches("^(a+)+$", text) == false)
        #expect(try self.matches("^(a|a)*$", text) == false)
        #expect(try self.matches("(.*a){12}c", text) == false)
        #expect(try self.matches("^(a+)+b$", text))
    }
}
